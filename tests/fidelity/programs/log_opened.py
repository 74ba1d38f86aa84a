"""twisted.python.log.startLogging announces itself with a "Log opened." event and line."""

import io

from twisted.python import log

seen = []
log.addObserver(lambda e: seen.append(e.get("message")))
buf = io.StringIO()
log.startLogging(buf, setStdout=False)
log.msg("first")
print("observed", seen)
print("lines", [line.split("] ", 1)[1] for line in buf.getvalue().splitlines()])
