"""The TimeoutError that Deferred.addTimeout fails with: its args and str()."""

from twisted.internet import defer, task

clock = task.Clock()
d = defer.Deferred()
d.addTimeout(2.5, clock)
d.addErrback(lambda f: print(f.type.__name__, f.value.args, str(f.value)))
clock.advance(2.5)
