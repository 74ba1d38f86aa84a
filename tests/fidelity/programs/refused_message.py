"""The message of ConnectionRefusedError, as clientConnectionFailed and endpoints report it."""

from twisted.internet import defer, endpoints, protocol, task


async def main(reactor):
    port = reactor.listenTCP(0, protocol.Factory(), interface="127.0.0.1")
    number = port.getHost().port
    await port.stopListening()
    ep = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", number)
    try:
        await ep.connect(protocol.Factory.forProtocol(protocol.Protocol))
    except Exception as e:
        print(type(e).__name__)
        print("str:", str(e))
        print("args:", e.args)
        print("osError:", e.osError)


task.react(lambda r: defer.ensureDeferred(main(r)))
