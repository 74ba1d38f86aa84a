"""twisted.python.log: msg, err, observers and startLogging output lines."""

import io
import re

from twisted.internet import defer
from twisted.python import failure, log

events = []


def observer(event):
    keep = {
        "message": event.get("message"),
        "isError": event.get("isError"),
        "why": event.get("why"),
        "system": event.get("system"),
        "failure": type(event["failure"]).__name__ if "failure" in event else None,
        "extra": event.get("extra"),
        # Twisted's legacy events carry the new logger's bridging format; not part of the API.
        "format": None if event.get("format") == "%(log_legacy)s" else event.get("format"),
    }
    events.append(keep)


log.addObserver(observer)
buf = io.StringIO()
log.startLogging(buf, setStdout=False)
log.msg("hello", "world")
log.msg("with extra", extra=42)
log.msg(format="formatted %(n)d items", n=3)
try:
    {}["missing"]
except KeyError:
    log.err(None, "while dividing")
log.err(failure.Failure(ValueError("explicit")), "explicit failure")
log.err(KeyError("key"))
d = defer.fail(RuntimeError("logged via errback"))
d.addErrback(log.err, "errback why")
log.removeObserver(observer)
log.msg("not observed")

# Twisted's startLogging emits "Log opened." (checked by log_opened.py)
events = [e for e in events if e["message"] != ("Log opened.",)]
for e in events:
    print(sorted((k, v) for k, v in e.items() if v is not None))

text = buf.getvalue()
stamp = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[^ ]* \[[^]]*\] ", re.M)
for line in text.splitlines():
    if stamp.match(line) and not line.endswith("] Log opened."):
        print("LINE", stamp.sub("", line))
print("has traceback text", "KeyError" in text, "Traceback" in text)
