"""`python -m mock_site --scenario demo [--skin accessible|real] [--locale en|es] [--port 8000]`.

Skins: "accessible" (default: labels, roles, test ids; URLs /orders, /orders/<id>) and
"real" (the real site's markup: placeholders only, div buttons, comet modals, custom
picker, hashed class names; URLs /p/order/index.html, /p/order/detail.html?orderId=...,
sign-in at /passport/login.htm, optionally on its own port with --login-port). The real
skin comes in English (--locale en) or Spanish (--locale es). See docs/portal-ui.md.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn

from .app import create_app
from .real import LOCALES, SKINS
from .scenario import ScenarioError, load_scenario, scenario_names
from .server import listening_socket
from .weight import parse_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mock_site",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scenario",
        default="demo",
        help=f"a bundled name ({', '.join(scenario_names())}) or a JSON path",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--control-api", action="store_true", help="mount /__mock__/ (reset, clock, state, faults)"
    )
    parser.add_argument(
        "--skin",
        choices=SKINS,
        default=None,
        help="accessible (default) or real (the real site's markup); wins over the scenario's",
    )
    parser.add_argument(
        "--locale",
        choices=LOCALES,
        default=None,
        help="the real skin's language: en (default) or es; wins over the scenario's",
    )
    parser.add_argument(
        "--login-port",
        type=int,
        default=None,
        help="real skin: serve the sign-in pages on this port too (a second origin)",
    )
    parser.add_argument(
        "--page-weight",
        default=None,
        metavar="real|none|JSON",
        help="the scripts, styles, images, fonts and beacons every page also loads: real "
        "(the Web Almanac 2024 median desktop page), none, or JSON numbers; wins over "
        "the scenario's page_weight",
    )
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario)
        weight = parse_cli(args.page_weight) if args.page_weight else None
    except (ScenarioError, ValueError) as err:
        print(err, file=sys.stderr)
        return 2
    app = create_app(
        scenario,
        control_api=args.control_api,
        skin=args.skin,
        locale=args.locale,
        login_port=args.login_port,
        page_weight=weight,
    )
    url = f"http://{args.host}:{args.port}"
    skin, loc = app.state.skin, app.state.locale.code
    start = f"{url}/" if skin == "real" else f"{url}/orders"
    print(f"Mock portal ({scenario.name}, skin {skin}, locale {loc}) at {start}", flush=True)
    if args.login_port:
        print(f"  sign-in pages also at http://{args.host}:{args.login_port}", flush=True)
    for account in scenario.accounts:
        print(f"  sign in as {account.email} / {account.password}", flush=True)
    if args.control_api:
        print(f"  control API at {url}/__mock__/", flush=True)
    sockets = [listening_socket(args.host, args.port)]
    if args.login_port:
        sockets.append(listening_socket(args.host, args.login_port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=sockets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
