"""spawnProcess details: env and path, childDataReceived/childConnectionLost, writeSequence,
loseConnection, utils with errortoo and path, bytes/str arguments."""

import os
import sys
import tempfile

from twisted.internet import defer, protocol, task, utils

PY = sys.executable


def log(*a):
    print(*a, flush=True)


class Child(protocol.ProcessProtocol):
    def __init__(self):
        self.data = {1: b"", 2: b""}
        self.lost = []
        self.ended = defer.Deferred()

    def connectionMade(self):
        self.transport.writeSequence([b"a", b"b", b"c\n"])
        self.transport.closeStdin()

    def childDataReceived(self, fd, data):
        self.data[fd] += data

    def childConnectionLost(self, fd):
        self.lost.append(fd)

    def processEnded(self, reason):
        self.ended.callback([reason.value.exitCode])


SCRIPT = (
    "import os, sys\n"
    "line = sys.stdin.readline()\n"
    "sys.stdout.write('cwd=%s env=%s line=%s' % (os.path.basename(os.getcwd()), "
    "os.environ.get('FIDELITY'), line))\n"
    "sys.stderr.write('err')\n"
)


async def main(reactor):
    with tempfile.TemporaryDirectory(prefix="fid") as tmp:
        sub = os.path.join(tmp, "workdir")
        os.mkdir(sub)
        c = Child()
        env = {"FIDELITY": "yes", "PATH": os.environ.get("PATH", "")}
        reactor.spawnProcess(c, PY, [PY, "-c", SCRIPT], env=env, path=sub)
        [code] = await c.ended
        log("exit", code, "out", c.data[1], "err", c.data[2], "lost fds", sorted(c.lost))

        out = await utils.getProcessOutput(
            PY, ["-c", f"import os; print(os.getcwd() == {sub!r})"], path=sub
        )
        log("getProcessOutput path", out)
        out = await utils.getProcessOutput(
            PY, ["-c", "import sys; sys.stderr.write('E'); sys.stdout.write('O')"], errortoo=True
        )
        log("errortoo", sorted(out))
        out, _err, code = await utils.getProcessOutputAndValue(
            PY, ["-c", "import os; print(os.environ.get('X'))"], env={"X": "from env"}
        )
        log("env only X", out, code)
        out = await utils.getProcessOutput(PY.encode(), [b"-c", b"print('bytes args')"])
        log("bytes args", out)

        class Quitter(protocol.ProcessProtocol):
            def __init__(self):
                self.ended = defer.Deferred()

            def connectionMade(self):
                self.transport.loseConnection()

            def processEnded(self, reason):
                self.ended.callback([reason.type.__name__])

        q = Quitter()
        reactor.spawnProcess(q, PY, [PY, "-c", "import sys; sys.stdin.read()"], env=None)
        log("loseConnection child", await q.ended)


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
