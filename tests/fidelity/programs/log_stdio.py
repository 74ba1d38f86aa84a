"""twisted.python.log.startLogging with its default setStdout: print() output, stderr writes
and warnings become log lines; a Deferred's unhandled failure and log.err keep Twisted's layout."""

import gc
import io
import re
import sys
import warnings

from twisted.internet import defer
from twisted.python import failure, log

real_stdout = sys.stdout
buf = io.StringIO()
log.startLogging(buf)
print("hello", "print")
print("two\nlines")
sys.stdout.write("partial ")
sys.stdout.write("line\n")
sys.stderr.write("to stderr\n")
warnings.warn_explicit("careful now", UserWarning, "/src/module.py", 12)
print("stdout replaced", sys.stdout is not real_stdout, sys.stdout.isatty())
log.msg("message", b"bytes", system="custom")
log.err(failure.Failure(ValueError("logged")), "while testing")
d = defer.fail(KeyError("nobody handled this"))
del d
gc.collect()
print("same file again", log.startLogging(sys.stdout))
sys.stdout = real_stdout
sys.stderr = sys.__stderr__
stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} ", re.M)
for line in stamp.sub("", buf.getvalue()).split("\n"):
    print(repr(line))
