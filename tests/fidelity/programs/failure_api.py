"""twisted.python.failure.Failure as its API documentation describes it: capture, check/trap,
messages, raising, cleaning, pickling, copies, and the frame formatting helpers."""

import pickle

from twisted.internet import defer
from twisted.python import failure


class AppError(Exception):
    pass


class SubError(AppError):
    pass


def raiser():
    raise SubError("sub", 2)


def capture():
    try:
        raiser()
    except AppError:
        return failure.Failure()


f = capture()
print("type/value", f.type.__name__, repr(f.value), f.value.args)
print("message", f.getErrorMessage())
print("check", f.check(KeyError), f.check(KeyError, AppError).__name__)
print("check by name", f.check(__name__ + ".AppError"))
print("parents", [p for p in f.parents if not p.startswith("builtins.Base")][:3])
print("frames", [frame[0] for frame in f.frames])
print("frame shape", [(len(frame), type(frame[2]).__name__) for frame in f.frames])
print("has tb", f.tb is not None, f.getTracebackObject() is f.tb)
print("traceback last line", f.getTraceback().splitlines()[-1])
print("brief lines", [line.rsplit(":", 1)[-1] for line in f.getBriefTraceback().splitlines()[1:]])
print("count increments", failure.Failure(ValueError()).count - f.count > 0, f.pickled)

# trap: returns the matching class, or re-raises the failure itself
print("trap", f.trap(KeyError, AppError).__name__)
try:
    f.trap(KeyError)
except SubError as caught:
    print("trap raised the exception", caught is f.value)

# raiseException keeps the exception object
try:
    f.raiseException()
except SubError as e:
    print("raiseException", e is f.value)

# a Failure of a Failure is a copy of it
g = failure.Failure(f)
print("copy", g.value is f.value, g.type is f.type, g.getTraceback() == f.getTraceback())

# explicit exception, no traceback
e = failure.Failure(ValueError("explicit"))
print("explicit", e.frames, e.tb, repr(e))
print("explicit str", str(e))
print("explicit traceback", e.getTraceback().splitlines())
print("with type", failure.Failure(KeyError("k"), KeyError).type.__name__)

# outside an except block there is nothing to capture
try:
    failure.Failure()
except failure.NoCurrentExceptionError:
    print("NoCurrentExceptionError")

# cleanFailure drops the traceback object but keeps the frames and the text
text_before = f.getTraceback()
f.cleanFailure()
print("cleaned", f.tb, [frame[0] for frame in f.frames], f.getTraceback() == text_before)

# pickling keeps type, value and message; the copy knows it was pickled
p = pickle.loads(pickle.dumps(capture()))
print("pickled", p.type.__name__, p.getErrorMessage(), p.pickled, p.tb)


# throwExceptionIntoGenerator
def gen():
    try:
        yield "first"
    except AppError as err:
        yield "caught " + type(err).__name__


it = gen()
next(it)
print("into generator", capture().throwExceptionIntoGenerator(it))

# format_frames on the frames of a Failure
lines = []
failure.format_frames(capture().frames, lines.append, detail="brief")
print("format_frames brief", [line.strip().rsplit(":", 1)[-1] for line in lines])
lines = []
failure.format_frames(capture().frames, lines.append)
print(
    "format_frames default",
    [line.strip() for line in lines if not line.lstrip().startswith("File")],
)
try:
    failure.format_frames([], lines.append, detail="bogus")
except ValueError:
    print("format_frames bad detail ValueError")
print("constants", failure.traceupLength, failure.EXCEPTION_CAUGHT_HERE, failure.DO_POST_MORTEM)

# Failures in Deferreds: errback() wraps the exception, and a callback's exception keeps it
d = defer.Deferred()
d.addErrback(
    lambda fl: print("errback got", type(fl).__name__, fl.type.__name__, fl.getErrorMessage())
)
d.errback(SubError("via errback"))
d = defer.succeed(1)
d.addCallback(lambda r: raiser())
d.addErrback(
    lambda fl: print("callback raised", [frame[0] for frame in fl.frames][-1:], fl.value.args)
)
