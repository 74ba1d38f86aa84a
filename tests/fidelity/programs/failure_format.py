"""str(Failure), getBriefTraceback and repr(Failure), as printed by code that logs failures."""

from twisted.python import failure


def inner():
    raise RuntimeError("explicit")


try:
    inner()
except RuntimeError:
    f = failure.Failure()
print("str first line:", str(f).splitlines()[0])
print("brief first line:", f.getBriefTraceback().splitlines()[0])
print("repr:", repr(f))
print("str no frames:", str(failure.Failure(ValueError("direct"))).splitlines()[0])
