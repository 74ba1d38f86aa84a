/* Optional C speed-ups for bridge's Deferred (built at install time when a compiler is
 * present; bridge/_defer_core.py holds the pure-Python implementation, which stays the
 * reference: keep the two in step, and see docs/deferreds-and-coroutines.md).
 *
 * DeferredBase, the C base class of bridge.defer.Deferred, holds the Deferred's state
 * (callbacks, called, paused, result, _canceller, _running, _unhandled) as C members, so
 * Python code reads and writes them as fast as __slots__, and implements the hot paths:
 *
 *   - __new__ fills a fresh Deferred's state and __init__(canceller=None) is C;
 *   - callback() and the chain runner _run_callbacks() are C twins of the Python methods;
 *   - the `await` slot: a final, non-Failure result comes back through an AwaitIter's
 *     `am_send` (no generator, frame or exception); an unfired Deferred inside an asyncio
 *     Task waits on a loop Future, also through an AwaitIter; everything else (failures,
 *     no running loop, paused chains) goes to the Python generator `_await_slow()`.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

static PyObject *failure_type = NULL;      /* bridge.failure.Failure, set by _setup() */
static PyObject *get_running_loop = NULL;  /* asyncio's _get_running_loop, set by _setup() */
static PyObject *set_future_func = NULL;   /* this module's _set_future */
static PyObject *deferred_types = NULL;    /* _defer_core._DEFERRED_TYPES (a live set) */
static PyObject *continue_marker = NULL;   /* _defer_core._CONTINUE */
static PyObject *unhandled_type = NULL;    /* _defer_core._Unhandled */
static PyObject *coroutine_misuse = NULL;  /* _defer_core._coroutine_misuse */
static PyObject *str_failure = NULL;
static PyObject *str_debug = NULL;
static PyObject *str_already_called = NULL;
static PyObject *str_record_invoker = NULL;
static PyObject *str_deferred_as_result = NULL;
static PyObject *str_init_debug = NULL;
static PyObject *str_callback_word = NULL;
static PyObject *small_one = NULL;
static PyObject *small_zero = NULL;
static PyObject *str_await_slow = NULL;
static PyObject *str_await_thrown = NULL;
static PyObject *str_raise_failure = NULL;
static PyObject *str_run_callbacks = NULL;
static PyObject *str_create_future = NULL;
static PyObject *str_done = NULL;
static PyObject *str_result = NULL;
static PyObject *str_set_result = NULL;
static PyObject *str_blocking = NULL;

static int
is_failure(PyObject *obj)
{
    return failure_type != NULL && PyObject_TypeCheck(obj, (PyTypeObject *)failure_type);
}

/* Build an exception instance from throw()'s (type[, value[, traceback]]) arguments. */
static PyObject *
make_exception(PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *typ, *val = NULL, *tb = NULL, *exc;
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "throw() takes 1 to 3 arguments");
        return NULL;
    }
    typ = args[0];
    if (nargs > 1 && args[1] != Py_None) {
        val = args[1];
    }
    if (nargs > 2 && args[2] != Py_None) {
        tb = args[2];
    }
    if (PyExceptionInstance_Check(typ)) {
        exc = typ;
        Py_INCREF(exc);
    }
    else if (PyExceptionClass_Check(typ)) {
        if (val != NULL && PyObject_TypeCheck(val, (PyTypeObject *)typ)) {
            exc = val;
            Py_INCREF(exc);
        }
        else if (val == NULL) {
            exc = PyObject_CallNoArgs(typ);
        }
        else {
            exc = PyObject_CallOneArg(typ, val);
        }
        if (exc == NULL) {
            return NULL;
        }
    }
    else {
        PyErr_SetString(PyExc_TypeError,
                        "exceptions must be classes or instances deriving from BaseException");
        return NULL;
    }
    if (tb != NULL && PyException_SetTraceback(exc, tb) < 0) {
        Py_DECREF(exc);
        return NULL;
    }
    return exc;
}

/* Turn a send result into the tp_iternext protocol (StopIteration carries the value). */
static PyObject *
send_to_next(PySendResult status, PyObject *value)
{
    PyObject *stop;
    if (status == PYGEN_NEXT) {
        return value;
    }
    if (status == PYGEN_ERROR) {
        return NULL;
    }
    stop = PyObject_CallOneArg(PyExc_StopIteration, value);
    Py_DECREF(value);
    if (stop != NULL) {
        PyErr_SetObject(PyExc_StopIteration, stop);
        Py_DECREF(stop);
    }
    return NULL;
}

/* ---- AwaitIter: what `await d` runs --------------------------------------------------
 *
 * Two modes. A fired Deferred's final result: `value` is set and the first send returns it.
 * An unfired Deferred in an asyncio Task: the first send yields `future` (a loop Future the
 * Deferred's chain resolves through the callback `entry`) to the Task, and the send that
 * resumes the Task returns the Future's result. */

typedef struct {
    PyObject_HEAD
    PyObject *value;
    PyObject *deferred;
    PyObject *future;
    PyObject *entry; /* the callback entry, found again by identity on cancellation */
    int yielded;
} AwaitIter;

static PyTypeObject AwaitIter_Type;

static int
awaititer_traverse(AwaitIter *self, visitproc visit, void *arg)
{
    Py_VISIT(self->value);
    Py_VISIT(self->deferred);
    Py_VISIT(self->future);
    Py_VISIT(self->entry);
    return 0;
}

static int
awaititer_clear(AwaitIter *self)
{
    Py_CLEAR(self->value);
    Py_CLEAR(self->deferred);
    Py_CLEAR(self->future);
    Py_CLEAR(self->entry);
    return 0;
}

static void
awaititer_dealloc(AwaitIter *self)
{
    PyObject_GC_UnTrack(self);
    awaititer_clear(self);
    PyObject_GC_Del(self);
}

static PySendResult
awaititer_am_send(AwaitIter *self, PyObject *arg, PyObject **presult)
{
    PyObject *future = self->future, *result;
    if (future == NULL) {
        /* A final result (or, once handed out or cleared, None, as a spent generator). */
        result = self->value;
        if (result == NULL) {
            result = Py_None;
            Py_INCREF(result);
        }
        else {
            self->value = NULL; /* hand over our reference */
        }
        *presult = result;
        return PYGEN_RETURN;
    }
    if (!self->yielded) {
        PyObject *done = PyObject_CallMethodNoArgs(future, str_done);
        int is_done;
        if (done == NULL) {
            return PYGEN_ERROR;
        }
        is_done = PyObject_IsTrue(done);
        Py_DECREF(done);
        if (is_done < 0) {
            return PYGEN_ERROR;
        }
        if (!is_done) {
            if (PyObject_SetAttr(future, str_blocking, Py_True) < 0) {
                return PYGEN_ERROR;
            }
            self->yielded = 1;
            Py_INCREF(future);
            *presult = future;
            return PYGEN_NEXT;
        }
    }
    result = PyObject_CallMethodNoArgs(future, str_result);
    if (result != NULL && is_failure(result)) {
        PyObject *raised = PyObject_CallMethodOneArg(self->deferred, str_raise_failure, result);
        Py_DECREF(result);
        Py_XDECREF(raised);
        if (raised != NULL) {
            PyErr_SetString(PyExc_RuntimeError, "_raise_failure() did not raise");
        }
        result = NULL;
    }
    awaititer_clear(self);
    if (result == NULL) {
        return PYGEN_ERROR;
    }
    *presult = result;
    return PYGEN_RETURN;
}

static PyObject *
awaititer_iternext(AwaitIter *self)
{
    PyObject *value = NULL;
    PySendResult status = awaititer_am_send(self, Py_None, &value);
    return send_to_next(status, value);
}

static PyObject *
awaititer_send(AwaitIter *self, PyObject *arg)
{
    PyObject *value = NULL;
    PySendResult status = awaititer_am_send(self, arg, &value);
    return send_to_next(status, value);
}

static PyObject *
awaititer_throw(AwaitIter *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *exc, *value;
    exc = make_exception(args, nargs);
    if (exc == NULL) {
        return NULL;
    }
    if (self->deferred == NULL) {
        awaititer_clear(self);
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
        return NULL;
    }
    value = PyObject_CallMethodObjArgs(self->deferred, str_await_thrown, self->future,
                                       self->entry, exc, NULL);
    Py_DECREF(exc);
    awaititer_clear(self);
    return send_to_next(value == NULL ? PYGEN_ERROR : PYGEN_RETURN, value);
}

static PyObject *
awaititer_close(AwaitIter *self, PyObject *unused)
{
    awaititer_clear(self);
    Py_RETURN_NONE;
}

static PyMethodDef awaititer_methods[] = {
    {"send", (PyCFunction)awaititer_send, METH_O, NULL},
    {"throw", (PyCFunction)(void (*)(void))awaititer_throw, METH_FASTCALL, NULL},
    {"close", (PyCFunction)awaititer_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyAsyncMethods awaititer_as_async = {
    0,                              /* am_await */
    0,                              /* am_aiter */
    0,                              /* am_anext */
    (sendfunc)awaititer_am_send,     /* am_send */
};

static PyTypeObject AwaitIter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bridge._cdefer.AwaitIter",
    .tp_basicsize = sizeof(AwaitIter),
    .tp_dealloc = (destructor)awaititer_dealloc,
    .tp_as_async = &awaititer_as_async,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)awaititer_traverse,
    .tp_clear = (inquiry)awaititer_clear,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)awaititer_iternext,
    .tp_methods = awaititer_methods,
};

/* ---- DeferredBase --------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *callbacks;
    PyObject *called;
    PyObject *paused;
    PyObject *result;
    PyObject *canceller;
    PyObject *running;
    PyObject *unhandled;
} DeferredBase;

static PyTypeObject DeferredBase_Type;

static int
base_traverse(DeferredBase *self, visitproc visit, void *arg)
{
    Py_VISIT(self->callbacks);
    Py_VISIT(self->called);
    Py_VISIT(self->paused);
    Py_VISIT(self->result);
    Py_VISIT(self->canceller);
    Py_VISIT(self->running);
    Py_VISIT(self->unhandled);
    return 0;
}

static int
base_clear(DeferredBase *self)
{
    Py_CLEAR(self->callbacks);
    Py_CLEAR(self->called);
    Py_CLEAR(self->paused);
    Py_CLEAR(self->result);
    Py_CLEAR(self->canceller);
    Py_CLEAR(self->running);
    Py_CLEAR(self->unhandled);
    return 0;
}

/* Read a slot the way Python would: AttributeError when it was never set. */
static PyObject *
get_slot(PyObject *obj, PyObject *value, const char *name)
{
    if (value == NULL) {
        PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute '%s'",
                     Py_TYPE(obj)->tp_name, name);
    }
    return value;
}

static int
truthy_slot(PyObject *obj, PyObject *value, const char *name)
{
    if (value == Py_True) {
        return 1;
    }
    if (value == Py_False || value == Py_None) {
        return 0;
    }
    if (get_slot(obj, value, name) == NULL) {
        return -1;
    }
    return PyObject_IsTrue(value);
}

static int
is_deferred_type(PyObject *obj)
{
    return PySet_Contains(deferred_types, (PyObject *)Py_TYPE(obj));
}

static int
forget_unhandled(PyObject *unhandled)
{
    if (unhandled == NULL || unhandled == Py_None) {
        return 0;
    }
    return PyObject_SetAttr(unhandled, str_failure, Py_None);
}

/* Call fn(result, *args, **kw) as the chain does. */
static PyObject *
call_step(PyObject *fn, PyObject *result, PyObject *args, PyObject *kw)
{
    PyObject *stack[8];
    Py_ssize_t n, k;
    if (!PyTuple_CheckExact(args)) {
        args = PySequence_Tuple(args);
        if (args == NULL) {
            return NULL;
        }
    }
    else {
        Py_INCREF(args);
    }
    n = PyTuple_GET_SIZE(args);
    if ((kw == Py_None || kw == NULL) && n < 7) {
        PyObject *out;
        stack[0] = result;
        for (k = 0; k < n; k++) {
            stack[k + 1] = PyTuple_GET_ITEM(args, k);
        }
        out = PyObject_Vectorcall(fn, stack, (size_t)(n + 1), NULL);
        Py_DECREF(args);
        return out;
    }
    else {
        PyObject *full = PyTuple_New(n + 1), *out;
        if (full == NULL) {
            Py_DECREF(args);
            return NULL;
        }
        Py_INCREF(result);
        PyTuple_SET_ITEM(full, 0, result);
        for (k = 0; k < n; k++) {
            PyObject *a = PyTuple_GET_ITEM(args, k);
            Py_INCREF(a);
            PyTuple_SET_ITEM(full, k + 1, a);
        }
        Py_DECREF(args);
        out = PyObject_Call(fn, full, (kw == Py_None) ? NULL : kw);
        Py_DECREF(full);
        return out;
    }
}

/* The raised exception as a Failure (what `except BaseException: Failure()` gives). */
static PyObject *
failure_from_error(void)
{
    PyObject *type, *value, *tb, *failure;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    if (value == NULL) {
        PyErr_SetString(PyExc_SystemError, "callback failed without an exception");
        return NULL;
    }
    failure = PyObject_CallOneArg(failure_type, value);
    Py_DECREF(value);
    return failure;
}

static PyObject *
tuple_item(PyObject *item, Py_ssize_t index)
{
    if (PyTuple_CheckExact(item) && PyTuple_GET_SIZE(item) == 6) {
        PyObject *v = PyTuple_GET_ITEM(item, index);
        Py_INCREF(v);
        return v;
    }
    return PySequence_GetItem(item, index);
}

/* Run the callback chain: the C twin of Deferred._run_callbacks in _defer_core.py (which is
 * the reference and documents the algorithm; keep the two in step). */
static PyObject *
base_run_callbacks(DeferredBase *self, PyObject *unused)
{
    DeferredBase *current, *next_deferred = NULL;
    PyObject *below = NULL;
    if (self->running == Py_True) {
        Py_RETURN_NONE;
    }
    current = self;
    Py_INCREF(current);
    for (;;) {
        PyObject *cbs, *result;
        Py_ssize_t i = 0;
        int finished = 1, paused;
        next_deferred = NULL;
        paused = truthy_slot((PyObject *)current, current->paused, "paused");
        if (paused != 0) {
            Py_DECREF(current);
            Py_XDECREF(below);
            if (paused < 0) {
                return NULL;
            }
            Py_RETURN_NONE;
        }
        cbs = get_slot((PyObject *)current, current->callbacks, "callbacks");
        result = get_slot((PyObject *)current, current->result, "result");
        if (cbs == NULL || result == NULL) {
            goto error_current;
        }
        if (!PyList_Check(cbs)) {
            PyErr_SetString(PyExc_TypeError, "Deferred.callbacks must be a list");
            goto error_current;
        }
        Py_INCREF(cbs);
        Py_INCREF(result);
        Py_INCREF(Py_True);
        Py_XSETREF(current->running, Py_True);
        while (i < PyList_GET_SIZE(cbs)) {
            PyObject *item = PyList_GET_ITEM(cbs, i), *fn, *args, *kw, *out;
            int failed, dtype;
            Py_INCREF(item);
            i++;
            failed = is_failure(result);
            fn = tuple_item(item, failed ? 3 : 0);
            if (fn == NULL) {
                Py_DECREF(item);
                goto error_loop;
            }
            if (fn == Py_None) {
                Py_DECREF(fn);
                Py_DECREF(item);
                continue;
            }
            args = tuple_item(item, failed ? 4 : 1);
            kw = args == NULL ? NULL : tuple_item(item, failed ? 5 : 2);
            Py_DECREF(item);
            if (kw == NULL) {
                Py_DECREF(fn);
                Py_XDECREF(args);
                goto error_loop;
            }
            if (fn == continue_marker) {
                /* The Deferred waiting on us resumes with our result; ours becomes None. */
                DeferredBase *waiting = (DeferredBase *)args;
                PyObject *less;
                Py_DECREF(fn);
                Py_DECREF(kw);
                if (!PyObject_TypeCheck(args, &DeferredBase_Type)) {
                    Py_DECREF(args);
                    PyErr_SetString(PyExc_SystemError, "chained entry without a Deferred");
                    goto error_loop;
                }
                Py_XSETREF(waiting->result, result); /* steals our reference */
                Py_INCREF(Py_None);
                result = Py_None;
                if (forget_unhandled(current->unhandled) < 0) {
                    Py_DECREF(args);
                    goto error_loop;
                }
                less = get_slot(args, waiting->paused, "paused") == NULL
                           ? NULL : PyNumber_Subtract(waiting->paused, small_one);
                if (less == NULL) {
                    Py_DECREF(args);
                    goto error_loop;
                }
                Py_XSETREF(waiting->paused, less);
                finished = 0;
                next_deferred = waiting; /* owns the reference from args */
                break;
            }
            out = call_step(fn, result, args, kw);
            Py_DECREF(args);
            Py_DECREF(kw);
            if (out == NULL) {
                out = failure_from_error();
                if (out == NULL) {
                    Py_DECREF(fn);
                    goto error_loop;
                }
            }
            Py_SETREF(result, out);
            dtype = is_deferred_type(result);
            if (dtype < 0) {
                Py_DECREF(fn);
                goto error_loop;
            }
            if (dtype) {
                DeferredBase *inner = (DeferredBase *)result;
                int inner_called, inner_paused, wait = 1;
                Py_DECREF(fn);
                inner_called = truthy_slot(result, inner->called, "called");
                if (inner_called < 0) {
                    goto error_loop;
                }
                if (inner_called) {
                    inner_paused = truthy_slot(result, inner->paused, "paused");
                    if (inner_paused < 0) {
                        goto error_loop;
                    }
                    if (!inner_paused) {
                        PyObject *ir = get_slot(result, inner->result, "result");
                        int chained;
                        if (ir == NULL) {
                            goto error_loop;
                        }
                        chained = is_deferred_type(ir);
                        if (chained < 0) {
                            goto error_loop;
                        }
                        wait = chained;
                    }
                }
                if (wait) {
                    /* Wait for the inner Deferred; it resumes us through _CONTINUE. */
                    PyObject *more, *entry;
                    more = get_slot((PyObject *)current, current->paused, "paused") == NULL
                               ? NULL : PyNumber_Add(current->paused, small_one);
                    if (more == NULL) {
                        goto error_loop;
                    }
                    Py_XSETREF(current->paused, more);
                    entry = PyTuple_Pack(6, continue_marker, current, Py_None, continue_marker,
                                         current, Py_None);
                    if (entry == NULL) {
                        goto error_loop;
                    }
                    if (get_slot(result, inner->callbacks, "callbacks") == NULL
                        || PyList_Append(inner->callbacks, entry) < 0) {
                        Py_DECREF(entry);
                        goto error_loop;
                    }
                    Py_DECREF(entry);
                    finished = 0;
                    break;
                }
                else {
                    /* The inner Deferred already has its result: take it over. */
                    PyObject *taken = inner->result;
                    inner->result = Py_None;
                    Py_INCREF(Py_None);
                    if (forget_unhandled(inner->unhandled) < 0) {
                        Py_DECREF(taken);
                        goto error_loop;
                    }
                    Py_SETREF(result, taken);
                }
            }
            else if (PyCoro_CheckExact(result)) {
                PyObject *misuse = PyObject_CallFunctionObjArgs(coroutine_misuse, fn, result, NULL);
                Py_DECREF(fn);
                if (misuse == NULL) {
                    goto error_loop;
                }
                Py_SETREF(result, misuse);
            }
            else {
                Py_DECREF(fn);
            }
        }
        Py_INCREF(Py_False);
        Py_XSETREF(current->running, Py_False);
        Py_XSETREF(current->result, result); /* steals */
        if (i > 0 && PyList_SetSlice(cbs, 0, i, NULL) < 0) {
            Py_DECREF(cbs);
            Py_XDECREF(next_deferred);
            goto error_current;
        }
        Py_DECREF(cbs);
        if (finished) {
            PyObject *res = current->result;
            if (is_failure(res)) {
                if (current->unhandled == NULL || current->unhandled == Py_None) {
                    PyObject *u = PyObject_CallOneArg(unhandled_type, res);
                    if (u == NULL) {
                        goto error_current;
                    }
                    Py_XSETREF(current->unhandled, u);
                }
                else if (PyObject_SetAttr(current->unhandled, str_failure, res) < 0) {
                    goto error_current;
                }
            }
            else if (forget_unhandled(current->unhandled) < 0) {
                goto error_current;
            }
            if (below == NULL || PyList_GET_SIZE(below) == 0) {
                Py_DECREF(current);
                Py_XDECREF(below);
                Py_RETURN_NONE;
            }
            {
                Py_ssize_t last = PyList_GET_SIZE(below) - 1;
                PyObject *popped = PyList_GET_ITEM(below, last);
                Py_INCREF(popped);
                if (PyList_SetSlice(below, last, last + 1, NULL) < 0) {
                    Py_DECREF(popped);
                    goto error_current;
                }
                Py_SETREF(current, (DeferredBase *)popped);
            }
        }
        else if (next_deferred != NULL) {
            /* Continue with the Deferred that was waiting on this one. */
            if (below == NULL) {
                below = PyList_New(0);
                if (below == NULL) {
                    Py_DECREF(next_deferred);
                    goto error_current;
                }
            }
            if (PyList_Append(below, (PyObject *)current) < 0) {
                Py_DECREF(next_deferred);
                goto error_current;
            }
            Py_SETREF(current, next_deferred);
        }
        continue;

    error_loop:
        /* An error inside bridge's own bookkeeping (not a callback's exception): leave the
         * Deferred as consistent as we can and let the error propagate. */
        Py_XSETREF(current->result, result);
        Py_INCREF(Py_False);
        Py_XSETREF(current->running, Py_False);
        Py_DECREF(cbs);
        goto error_current;
    }

error_current:
    Py_DECREF(current);
    Py_XDECREF(below);
    return NULL;
}

static PyObject *
base_callback(DeferredBase *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    int is_d, called;
    PyObject *debug, *r, *result;
    if (nargs == 1 && kwnames == NULL) {
        result = args[0];
    }
    else if (nargs == 0 && kwnames != NULL && PyTuple_GET_SIZE(kwnames) == 1
             && PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0))
             && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "result") == 0) {
        result = args[0];
    }
    else {
        PyErr_SetString(PyExc_TypeError, "callback() takes exactly one argument: result");
        return NULL;
    }
    is_d = is_deferred_type(result);
    if (is_d != 0) {
        if (is_d < 0) {
            return NULL;
        }
        return PyObject_CallMethodOneArg((PyObject *)self, str_deferred_as_result, result);
    }
    called = truthy_slot((PyObject *)self, self->called, "called");
    if (called != 0) {
        if (called < 0) {
            return NULL;
        }
        r = PyObject_CallMethodOneArg((PyObject *)self, str_already_called, str_callback_word);
        if (r == NULL) {
            return NULL;
        }
        Py_DECREF(r);
        Py_RETURN_NONE;
    }
    debug = PyObject_GetAttr((PyObject *)Py_TYPE(self), str_debug);
    if (debug == NULL) {
        return NULL;
    }
    if (debug != Py_False) {
        int on = PyObject_IsTrue(debug);
        Py_DECREF(debug);
        if (on < 0) {
            return NULL;
        }
        if (on) {
            r = PyObject_CallMethodNoArgs((PyObject *)self, str_record_invoker);
            if (r == NULL) {
                return NULL;
            }
            Py_DECREF(r);
        }
    }
    else {
        Py_DECREF(debug);
    }
    Py_INCREF(Py_True);
    Py_XSETREF(self->called, Py_True);
    Py_INCREF(Py_None);
    Py_XSETREF(self->canceller, Py_None);
    Py_INCREF(result);
    Py_XSETREF(self->result, result);
    return base_run_callbacks(self, NULL);
}

/* Allocate a Deferred with the attributes a fresh one has (Python's __init__ then only
 * records the canceller and the debugging stack). */
static PyObject *
base_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    DeferredBase *self = (DeferredBase *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->callbacks = PyList_New(0);
    if (self->callbacks == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    Py_INCREF(Py_False);
    self->called = Py_False;
    Py_INCREF(small_zero);
    self->paused = small_zero;
    Py_INCREF(Py_None);
    self->canceller = Py_None;
    Py_INCREF(Py_False);
    self->running = Py_False;
    Py_INCREF(Py_None);
    self->unhandled = Py_None;
    return (PyObject *)self;
}

static void
base_dealloc(DeferredBase *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    base_clear(self);
    tp->tp_free((PyObject *)self);
}

static PyObject *
base_await(DeferredBase *self)
{
    PyObject *result = self->result;
    PyObject *callbacks = self->callbacks;
    PyObject *paused = self->paused;
    if (self->called == Py_True && result != NULL && callbacks != NULL
        && PyList_CheckExact(callbacks) && PyList_GET_SIZE(callbacks) == 0
        && paused != NULL && PyLong_CheckExact(paused) && PyObject_Not(paused) == 1
        && !is_failure(result)) {
        AwaitIter *it = PyObject_GC_New(AwaitIter, &AwaitIter_Type);
        if (it == NULL) {
            return NULL;
        }
        Py_INCREF(result);
        it->value = result;
        it->deferred = it->future = it->entry = NULL;
        it->yielded = 0;
        PyObject_GC_Track(it);
        return (PyObject *)it;
    }
    if (self->called != Py_True && get_running_loop != NULL && set_future_func != NULL
        && callbacks != NULL && PyList_CheckExact(callbacks)) {
        /* Not fired yet: inside an asyncio Task, wait on a loop Future our chain resolves. */
        PyObject *loop = PyObject_CallNoArgs(get_running_loop);
        PyObject *future, *args, *entry;
        AwaitIter *it;
        if (loop == NULL) {
            return NULL;
        }
        if (loop == Py_None) {
            Py_DECREF(loop);
            return PyObject_CallMethodNoArgs((PyObject *)self, str_await_slow);
        }
        future = PyObject_CallMethodNoArgs(loop, str_create_future);
        Py_DECREF(loop);
        if (future == NULL) {
            return NULL;
        }
        args = PyTuple_Pack(1, future);
        if (args == NULL) {
            Py_DECREF(future);
            return NULL;
        }
        entry = PyTuple_Pack(6, set_future_func, args, Py_None, set_future_func, args, Py_None);
        Py_DECREF(args);
        if (entry == NULL || PyList_Append(callbacks, entry) < 0) {
            Py_XDECREF(entry);
            Py_DECREF(future);
            return NULL;
        }
        it = PyObject_GC_New(AwaitIter, &AwaitIter_Type);
        if (it == NULL) {
            Py_DECREF(entry);
            Py_DECREF(future);
            return NULL;
        }
        Py_INCREF(self);
        it->value = NULL;
        it->deferred = (PyObject *)self;
        it->future = future;
        it->entry = entry;
        it->yielded = 0;
        PyObject_GC_Track(it);
        return (PyObject *)it;
    }
    return PyObject_CallMethodNoArgs((PyObject *)self, str_await_slow);
}

static PyMemberDef base_members[] = {
    {"callbacks", T_OBJECT_EX, offsetof(DeferredBase, callbacks), 0, NULL},
    {"called", T_OBJECT_EX, offsetof(DeferredBase, called), 0, NULL},
    {"paused", T_OBJECT_EX, offsetof(DeferredBase, paused), 0, NULL},
    {"result", T_OBJECT_EX, offsetof(DeferredBase, result), 0, NULL},
    {"_canceller", T_OBJECT_EX, offsetof(DeferredBase, canceller), 0, NULL},
    {"_running", T_OBJECT_EX, offsetof(DeferredBase, running), 0, NULL},
    {"_unhandled", T_OBJECT_EX, offsetof(DeferredBase, unhandled), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* Deferred.__init__(canceller=None): the fresh state comes from base_new. */
static PyObject *
base_init_method(DeferredBase *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    PyObject *canceller = Py_None, *debug;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nargs + nkw > 1) {
        PyErr_SetString(PyExc_TypeError, "Deferred() takes at most one argument: canceller");
        return NULL;
    }
    if (nargs == 1) {
        canceller = args[0];
    }
    else if (nkw == 1) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, 0);
        if (!PyUnicode_Check(name) || PyUnicode_CompareWithASCIIString(name, "canceller") != 0) {
            PyErr_Format(PyExc_TypeError, "Deferred() got an unexpected keyword argument %R",
                         name);
            return NULL;
        }
        canceller = args[0];
    }
    if (canceller != Py_None) {
        Py_INCREF(canceller);
        Py_XSETREF(self->canceller, canceller);
    }
    debug = PyObject_GetAttr((PyObject *)Py_TYPE(self), str_debug);
    if (debug == NULL) {
        return NULL;
    }
    if (debug != Py_False) {
        int on = PyObject_IsTrue(debug);
        Py_DECREF(debug);
        if (on < 0) {
            return NULL;
        }
        if (on) {
            return PyObject_CallMethodNoArgs((PyObject *)self, str_init_debug);
        }
    }
    else {
        Py_DECREF(debug);
    }
    Py_RETURN_NONE;
}

static PyMethodDef base_methods[] = {
    {"__init__", (PyCFunction)(void (*)(void))base_init_method, METH_FASTCALL | METH_KEYWORDS,
     "__init__($self, /, canceller=None)\n--\n\n"
     "Make a Deferred; *canceller* is called with it by cancel()."},
    {"callback", (PyCFunction)(void (*)(void))base_callback, METH_FASTCALL | METH_KEYWORDS,
     "callback($self, /, result)\n--\n\n"
     "Fire the chain with *result*.\n\n"
     ":raises AlreadyCalledError: if this Deferred already has a result."},
    {"_run_callbacks", (PyCFunction)base_run_callbacks, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyAsyncMethods base_as_async = {
    (unaryfunc)base_await, /* am_await */
    0,                     /* am_aiter */
    0,                     /* am_anext */
    0,                     /* am_send */
};

static PyTypeObject DeferredBase_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bridge._cdefer.DeferredBase",
    .tp_basicsize = sizeof(DeferredBase),
    .tp_dealloc = (destructor)base_dealloc,
    .tp_as_async = &base_as_async,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)base_traverse,
    .tp_clear = (inquiry)base_clear,
    .tp_members = base_members,
    .tp_methods = base_methods,
    .tp_new = base_new,
};

/* ---- module ----------------------------------------------------------------------------- */

static PyObject *
setup(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyType_Check(args[0]) || !PyCallable_Check(args[1])
        || !PySet_Check(args[2]) || !PyType_Check(args[4]) || !PyCallable_Check(args[5])) {
        PyErr_SetString(PyExc_TypeError,
                        "_setup(failure_type, get_running_loop, deferred_types, continue_marker, "
                        "unhandled_type, coroutine_misuse)");
        return NULL;
    }
    Py_INCREF(args[0]);
    Py_XSETREF(failure_type, args[0]);
    Py_INCREF(args[1]);
    Py_XSETREF(get_running_loop, args[1]);
    Py_INCREF(args[2]);
    Py_XSETREF(deferred_types, args[2]);
    Py_INCREF(args[3]);
    Py_XSETREF(continue_marker, args[3]);
    Py_INCREF(args[4]);
    Py_XSETREF(unhandled_type, args[4]);
    Py_INCREF(args[5]);
    Py_XSETREF(coroutine_misuse, args[5]);
    Py_RETURN_NONE;
}

/* The callback entry of an awaited Deferred: give the Future the chain's result. */
static PyObject *
set_future(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *done, *ok;
    int is_done;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "_set_future(result, future)");
        return NULL;
    }
    done = PyObject_CallMethodNoArgs(args[1], str_done);
    if (done == NULL) {
        return NULL;
    }
    is_done = PyObject_IsTrue(done);
    Py_DECREF(done);
    if (is_done < 0) {
        return NULL;
    }
    if (is_done) {
        /* The awaiting Task was cancelled meanwhile: leave the result in the Deferred. */
        Py_INCREF(args[0]);
        return args[0];
    }
    ok = PyObject_CallMethodOneArg(args[1], str_set_result, args[0]);
    if (ok == NULL) {
        return NULL;
    }
    Py_DECREF(ok);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"_setup", (PyCFunction)(void (*)(void))setup, METH_FASTCALL, NULL},
    {"_set_future", (PyCFunction)(void (*)(void))set_future, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef cdefer_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "bridge._cdefer",
    .m_doc = "Optional C speed-ups for bridge.defer.Deferred.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__cdefer(void)
{
    PyObject *module;
    if (PyType_Ready(&AwaitIter_Type) < 0 || PyType_Ready(&DeferredBase_Type) < 0) {
        return NULL;
    }
#define INTERN(var, text)                              \
    if ((var = PyUnicode_InternFromString(text)) == NULL) { \
        return NULL;                                    \
    }
    INTERN(str_await_slow, "_await_slow")
    INTERN(str_await_thrown, "_await_thrown")
    INTERN(str_raise_failure, "_raise_failure")
    INTERN(str_run_callbacks, "_run_callbacks")
    INTERN(str_create_future, "create_future")
    INTERN(str_done, "done")
    INTERN(str_result, "result")
    INTERN(str_set_result, "set_result")
    INTERN(str_blocking, "_asyncio_future_blocking")
    INTERN(str_failure, "failure")
    INTERN(str_debug, "debug")
    INTERN(str_already_called, "_already_called")
    INTERN(str_record_invoker, "_record_invoker")
    INTERN(str_deferred_as_result, "_deferred_as_result")
    INTERN(str_init_debug, "_init_debug")
    INTERN(str_callback_word, "callback")
    small_one = PyLong_FromLong(1);
    small_zero = PyLong_FromLong(0);
    if (small_one == NULL || small_zero == NULL) {
        return NULL;
    }
#undef INTERN
    module = PyModule_Create(&cdefer_module);
    if (module == NULL) {
        return NULL;
    }
    set_future_func = PyObject_GetAttrString(module, "_set_future");
    if (set_future_func == NULL) {
        Py_DECREF(module);
        return NULL;
    }
    Py_INCREF(&DeferredBase_Type);
    if (PyModule_AddObject(module, "DeferredBase", (PyObject *)&DeferredBase_Type) < 0) {
        Py_DECREF(&DeferredBase_Type);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
