"""Browser plumbing under the page flows: finding and launching Chromium, the shared
browser server, recording a session (HAR, trace, screenshots), scrubbing secrets from it and
replaying it offline."""
