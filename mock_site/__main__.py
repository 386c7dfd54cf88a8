"""`python -m mock_site --scenario demo [--host 127.0.0.1] [--port 8000] [--control-api]`."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from .app import create_app
from .scenario import ScenarioError, load_scenario, scenario_names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mock_site", description=__doc__)
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
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as err:
        print(err, file=sys.stderr)
        return 2
    app = create_app(scenario, control_api=args.control_api)
    url = f"http://{args.host}:{args.port}"
    print(f"Mock portal ({scenario.name}) at {url}/orders", flush=True)
    for account in scenario.accounts:
        print(f"  sign in as {account.email} / {account.password}", flush=True)
    if args.control_api:
        print(f"  control API at {url}/__mock__/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
