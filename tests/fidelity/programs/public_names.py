"""Which documented public names (each module's ``__all__`` in Twisted 26, plus a few
widely used extras) a Twisted program can import from the twisted.* modules bridge provides."""

import importlib

NAMES = {
    "twisted.internet.defer": [
        "AlreadyCalledError", "CancelledError", "Deferred", "DeferredFilesystemLock",
        "DeferredList", "DeferredLock", "DeferredQueue", "DeferredSemaphore", "FirstError",
        "TimeoutError", "ensureDeferred", "execute", "fail", "gatherResults", "inlineCallbacks",
        "maybeDeferred", "race", "returnValue", "succeed", "QueueOverflow", "QueueUnderflow",
        "NotACoroutineError", "passthru", "setDebugging", "getDebugging", "logError",
    ],
    "twisted.internet.protocol": [
        "AbstractDatagramProtocol", "ClientCreator", "ClientFactory", "ConnectedDatagramProtocol",
        "DatagramProtocol", "Factory", "FileWrapper", "ProcessProtocol", "Protocol",
        "ReconnectingClientFactory", "ServerFactory", "connectionDone", "BaseProtocol",
        "consumerToProtocolAdapter", "ProtocolToConsumerAdapter",
    ],
    "twisted.internet.task": [
        "Clock", "Cooperator", "LoopingCall", "TaskDone", "TaskFailed", "TaskFinished",
        "TaskStopped", "SchedulerStopped", "NotPaused", "cooperate", "coiterate", "deferLater",
        "react",
    ],
    "twisted.internet.threads": [
        "blockingCallFromThread", "callMultipleInThread", "deferToThread", "deferToThreadPool",
    ],
    "twisted.internet.endpoints": [
        "AdoptedStreamServerEndpoint", "HostnameEndpoint", "ProcessEndpoint", "SSL4ClientEndpoint",
        "SSL4ServerEndpoint", "StandardErrorBehavior", "StandardIOEndpoint", "TCP4ClientEndpoint",
        "TCP4ServerEndpoint", "TCP6ClientEndpoint", "TCP6ServerEndpoint", "UNIXClientEndpoint",
        "UNIXServerEndpoint", "clientFromString", "connectProtocol", "serverFromString",
        "wrapClientTLS", "wrapServerTLS", "quoteStringArgument",
    ],
    "twisted.internet.address": [
        "HostnameAddress", "IPv4Address", "IPv6Address", "UNIXAddress",
    ],
    "twisted.internet.testing": [
        # EventLoggingObserver: not provided, documented (docs/porting.md, no twisted.logger)
        "AccumulatingProtocol", "LineSendingProtocol", "MemoryReactor",
        "MemoryReactorClock", "NonStreamingProducer", "RaisingMemoryReactor", "StringTransport",
        "StringTransportWithDisconnection", "StringIOWithoutClosing", "waitUntilAllDisconnected",
        "FakeDatagramTransport",
    ],
    "twisted.protocols.basic": [
        "DATA", "COMMA", "LENGTH", "NUMBER", "FileSender", "Int16StringReceiver",
        "Int32StringReceiver", "Int8StringReceiver", "IntNStringReceiver", "LineOnlyReceiver",
        "LineReceiver", "NetstringParseError", "NetstringReceiver", "StatefulStringProtocol",
        "StringTooLongError",
    ],
    "twisted.python.failure": [
        "Failure", "NoCurrentExceptionError", "DefaultException", "startDebugMode",
    ],
    "twisted.python.log": [
        "msg", "err", "startLogging", "addObserver", "removeObserver", "callWithContext",
        "callWithLogger", "startLoggingWithObserver", "FileLogObserver", "PythonLoggingObserver",
        "ILogObserver", "deferr", "logerr", "textFromEventDict", "theLogPublisher", "discardLogs",
        "showwarning", "Logger", "LogPublisher",
    ],
    "twisted.trial.unittest": [
        # TestSuite, TestDecorator, PyUnitResultAdapter, decorate: not provided, documented
        "FailTest", "SkipTest", "SynchronousTestCase", "TestCase", "Todo", "makeTodo",
    ],
    "twisted.internet.utils": [
        "getProcessOutput", "getProcessOutputAndValue", "getProcessValue",
        "runWithWarningsSuppressed", "suppressWarnings",
    ],
}  # fmt: skip

for module, names in NAMES.items():
    mod = importlib.import_module(module)
    missing = [n for n in names if not hasattr(mod, n)]
    print(module, "missing:", missing)
