"""twisted.python.log (the legacy logging howto): log contexts and systems, callWithLogger,
FileLogObserver formatting, textFromEventDict, publishers and the file-like helpers."""

import io
import re

from twisted.python import failure, log

STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} ", re.M)
events = []

# Keys every event of either implementation may carry; the new-logger bridge keys of
# Twisted's (log_*, format "%(log_legacy)s") are not part of the legacy API.
KEYS = ("message", "isError", "system", "why", "printed", "custom")


def observer(event):
    events.append({k: event[k] for k in KEYS if k in event})


def drain(label):
    for event in events:
        print(label, sorted(event.items()))
    events.clear()


log.addObserver(observer)

# message parts are joined with spaces; bytes are decoded; keywords become event keys
log.msg("parts", 1, b"bytes", None, custom="value")
log.msg("system given", system="explicit")
drain("msg")


# callWithContext: the events logged inside get the context's keys
def inside():
    log.msg("inside context")
    log.msg("overrides", system="own")
    return "returned"


print("callWithContext returns", log.callWithContext({"system": "ctx"}, inside))
log.msg("after context")
drain("context")


# callWithLogger: the system is the logger's logPrefix(); an exception is logged, not raised
class Named(log.Logger):
    def logPrefix(self):
        return "Named,7,127.0.0.1"


def fails():
    log.msg("about to fail")
    raise ValueError("in callWithLogger")


print("callWithLogger returns", log.callWithLogger(Named(), fails))
print("default prefix", log.Logger().logPrefix())
drain("logger")

# err: a Failure, an exception, the current exception, or anything else (its repr)
log.err(failure.Failure(KeyError("k")), "with why")
log.err(RuntimeError("plain"))
try:
    1 / 0  # noqa: B018
except ZeroDivisionError:
    log.err()
log.err("not an exception", "odd")
for event in events:
    print("err", event.get("isError"), event.get("why"), event.get("message"))
events.clear()

# textFromEventDict, the function observers use to turn an event into text
print("text parts", log.textFromEventDict({"message": ("a", 1, b"b"), "isError": 0}))
print(
    "text format",
    log.textFromEventDict({"message": (), "isError": 0, "format": "%(n)d items", "n": 3}),
)
print("text none", log.textFromEventDict({"message": (), "isError": 0}))
bad = log.textFromEventDict({"message": (), "isError": 0, "format": "%(missing)s"})
print(
    "text bad format",
    bad.startswith("Invalid format string or unformattable object in log message"),
)
f = failure.Failure(ValueError("shown"))
text = log.textFromEventDict({"message": (), "isError": 1, "failure": f, "why": "because"})
print("text failure", text.splitlines())
text = log.textFromEventDict({"message": (), "isError": 1, "failure": f})
print("text failure no why", text.splitlines()[0])

# FileLogObserver: "time [system] text", continuation lines indented with a tab
out = io.StringIO()
file_observer = log.FileLogObserver(out)
file_observer.start()
log.msg("first line\nsecond line", system="sys")
log.err(failure.Failure(ValueError("logged")), "a why")
file_observer.stop()
log.msg("not written")
print("file lines", STAMP.sub("", out.getvalue()).split("\n"))
file_observer.timeFormat = "%Y"
print(
    "timeFormat",
    file_observer.formatTime(0) == __import__("datetime").datetime.fromtimestamp(0).strftime("%Y"),
)
print(
    "formatTime shape",
    bool(
        re.match(
            r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4}$",
            log.FileLogObserver(out).formatTime(86400 * 365),
        )
    ),
)
print("tz offset is int", type(file_observer.getTimezoneOffset(0)).__name__)
drain("file")

# a separate LogPublisher has observers of its own
publisher = log.LogPublisher()
mine = []
publisher.addObserver(mine.append)
publisher.msg("private", system="p")
print("private", [(e["message"], e["system"], e["isError"]) for e in mine], events)
publisher.removeObserver(mine.append)
publisher.msg("unobserved")
print("private after remove", len(mine))

# StdioOnnaStick: a file whose lines become log messages
stick = log.StdioOnnaStick(isError=1)
stick.write("one\ntw")
stick.write("o\n")
stick.writelines(["whole"])
print("stick", [(e["message"], e["isError"], e.get("printed")) for e in events])
events.clear()
try:
    stick.read()
except OSError as e:
    print("stick read", e)
print("stick attrs", stick.mode, stick.name, stick.closed)
print("NullFile", log.NullFile().write("x"), log.NullFile().read())

log.removeObserver(observer)
log.msg("after removeObserver")
print("left", events)
