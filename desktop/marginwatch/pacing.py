"""How often each stage between a mark price arriving and the screen may run, in one place.

One throttle in time, at the account service (PUBLISH_INTERVAL_MS); the other stages bound the
work of one turn of the event loop, or hold what nobody sees. README.md (Architecture → How stale
can the table be?) adds the stages up. The session applies every mark at once and tells the
service at most once per loop turn (SessionOptions.change_delay = 0).
"""

from __future__ import annotations

# AccountService: risk is computed and published at most once per interval per account, and a
# change waits at most this long (a burst of marks, e.g. one per held symbol, is one snapshot).
PUBLISH_INTERVAL_MS = 200
# ... except an account's first snapshot, which goes out on the next loop turn: the window waits for it.
FIRST_PUBLISH_MS = 0

# Set once at start-up (app.main): while the risk worker computes, the GUI thread waits up to this
# long for the GIL each time it runs Python; CPython's 5 ms default is a visible stall per slot.
SWITCH_INTERVAL_S = 0.001

# PositionsModel: up to this many changed rows are re-rendered before update_account returns; a
# wider update is all deferred, so the caller's work and the re-render are separate stalls.
INLINE_ROWS = 8
# ... and re-rendered this much GUI-thread time per loop turn, so input and paints interleave.
RENDER_SLICE_S = 0.006

# LiquidationChart: renders of new data per second at most (a render is dearer than a table update).
CHART_RENDERS_PER_S = 4.0
# ... and the first render after a quiet spell waits this long, so it is not part of the table's stall.
CHART_FIRST_DELAY_MS = 100

# What-if: a shock held on the panel follows the live marks at most this often, and not while the
# window is hidden (a shock of 200 positions is ~25 ms of a core; at every publish that is ~12 %).
WHAT_IF_FOLLOW_MS = 2000
