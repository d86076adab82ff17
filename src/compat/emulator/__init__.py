"""Provider emulator: every upstream's wire protocol on 127.0.0.1, over one shared model.

One module per wire (`anthropic`, `azure`, `vertex`, `bedrock`) exports a `Wire` record
(its path prefixes, routes, error shapes and envelope rules; `wires` lists them). A wire
decodes requests into a `NeutralRequest`, the shared `model` checks it once against the
rules table (`rules`) and answers, and the wire encodes the reply back. `EmulatorServer`
runs it on a free loopback port; `compat emulate` runs it in the foreground.
"""

from compat.emulator.app import create_app
from compat.emulator.context import EmulatorContext
from compat.emulator.server import EmulatorServer

__all__ = ["EmulatorContext", "EmulatorServer", "create_app"]
