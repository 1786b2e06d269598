/* flask_edgecors._speedups: the armed per-request path of CORSMiddleware, in C.
 *
 * An optional accelerator (as markupsafe's and PyYAML's): the pure-Python implementation in
 * middleware.py is the reference and stays complete.  This module only covers the requests
 * the armed fast path answers there, with the same result:
 *
 *   - Entry: a base type whose call (the WSGI call) handles an armed layer's actual and
 *     no-Origin requests; everything else (not armed, a preflight, an environ that is not a
 *     plain dict, an Origin that is not a plain str) goes to the Python ``__call__``.
 *   - Injector: the per-request start_response wrapper.  A response whose header names are
 *     plain (no name starting with a/A/v/V, i.e. no Access-Control-* or Vary of its own) gets
 *     the CORS headers appended to a fresh list; any other response, or an unusual header
 *     list, goes to the middleware's Python ``_inject`` (the general path).
 *
 * Nothing here parses or judges an origin: the answers are the compiled policy's
 * (``exact_answers`` and the Python ``_answer``).  Exceptions out of the app are handed to the
 * Python ``_app_error`` with the exception made the handled one (``sys.exc_info()``).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* Set once by configure(); strong references for the life of the process. */
static PyObject *g_general = NULL;    /* Python __call__(self, environ, start_response) */
static PyObject *g_answer = NULL;     /* _answer(policy, origin) -> tuple */
static PyObject *g_app_error = NULL;  /* _app_error(self, environ, sr, cors, late, origin) */
static PyObject *g_vary_only = NULL;  /* (("Vary", "Origin"),) */

static PyObject *s_HTTP_ORIGIN, *s_ACRM, *s_REQUEST_METHOD, *s_exact_answers, *s_inject,
    *s_at_response, *s_preflight, *s_status, *s_headers, *s_exc_info;

/* -- Injector: the start_response wrapper ----------------------------------------------- */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *start_response;
    PyObject *cors;     /* the CORS headers (a tuple); NULL when late */
    PyObject *late;     /* a LatePolicy asked when the response starts; NULL when not late */
    PyObject *origin;   /* the request's Origin (late only; NULL: none) */
    PyObject *mw;       /* the middleware (for _inject) */
    PyObject *environ;
} InjectorObject;

static PyTypeObject InjectorType;

static int
injector_traverse(InjectorObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->start_response);
    Py_VISIT(self->cors);
    Py_VISIT(self->late);
    Py_VISIT(self->origin);
    Py_VISIT(self->mw);
    Py_VISIT(self->environ);
    return 0;
}

static int
injector_clear(InjectorObject *self)
{
    Py_CLEAR(self->start_response);
    Py_CLEAR(self->cors);
    Py_CLEAR(self->late);
    Py_CLEAR(self->origin);
    Py_CLEAR(self->mw);
    Py_CLEAR(self->environ);
    return 0;
}

static void
injector_dealloc(InjectorObject *self)
{
    PyObject_GC_UnTrack(self);
    injector_clear(self);
    PyObject_GC_Del(self);
}

/* The answer of a compiled policy for an origin (new reference), as middleware._answer does
 * after the exact_answers probe. */
static PyObject *
answer_for(PyObject *policy, PyObject *origin)
{
    PyObject *answers = PyObject_GetAttr(policy, s_exact_answers);
    if (answers == NULL) {
        return NULL;
    }
    PyObject *found = NULL;
    if (PyDict_CheckExact(answers)) {
        found = PyDict_GetItemWithError(answers, origin);
        if (found == NULL && PyErr_Occurred()) {
            Py_DECREF(answers);
            return NULL;
        }
        Py_XINCREF(found);
    }
    Py_DECREF(answers);
    if (found != NULL) {
        return found;
    }
    PyObject *args[2] = {policy, origin};
    return PyObject_Vectorcall(g_answer, args, 2, NULL);
}

/* Whether every header is a (str, str)-like pair whose name does not start with a, A, v or V:
 * such a list can get the CORS headers appended as they are. */
static int
headers_are_plain(PyObject *headers)
{
    if (!PyList_CheckExact(headers)) {
        return 0;
    }
    Py_ssize_t n = PyList_GET_SIZE(headers);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(headers, i);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2) {
            return 0;
        }
        PyObject *name = PyTuple_GET_ITEM(item, 0);
        if (!PyUnicode_CheckExact(name) || PyUnicode_GET_LENGTH(name) == 0) {
            return 0;
        }
        Py_UCS4 c = PyUnicode_READ_CHAR(name, 0);
        if (c == 'a' || c == 'A' || c == 'v' || c == 'V') {
            return 0;
        }
    }
    return 1;
}

static PyObject *
injector_start(InjectorObject *self, PyObject *status, PyObject *headers, PyObject *exc_info)
{
    PyObject *cors = self->cors;
    PyObject *owned = NULL;
    PyObject *result;
    if (self->late != NULL) {
        PyObject *policy = PyObject_CallMethodOneArg(self->late, s_at_response, self->environ);
        if (policy == NULL) {
            return NULL;
        }
        if (policy == Py_None) {
            Py_DECREF(policy);
            PyObject *args[3] = {status, headers, exc_info};
            return PyObject_Vectorcall(self->start_response, args, 3, NULL);
        }
        if (self->origin == NULL) {
            owned = Py_NewRef(g_vary_only);
        }
        else {
            owned = answer_for(policy, self->origin);
        }
        Py_DECREF(policy);
        if (owned == NULL) {
            return NULL;
        }
        cors = owned;
    }
    if (PyTuple_CheckExact(cors) && headers_are_plain(headers)) {
        Py_ssize_t n = PyList_GET_SIZE(headers);
        Py_ssize_t m = PyTuple_GET_SIZE(cors);
        PyObject *out = PyList_New(n + m);
        if (out == NULL) {
            Py_XDECREF(owned);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *item = PyList_GET_ITEM(headers, i);
            PyList_SET_ITEM(out, i, Py_NewRef(item));
        }
        for (Py_ssize_t i = 0; i < m; i++) {
            PyObject *item = PyTuple_GET_ITEM(cors, i);
            PyList_SET_ITEM(out, n + i, Py_NewRef(item));
        }
        PyObject *args[3] = {status, out, exc_info};
        result = PyObject_Vectorcall(self->start_response, args, 3, NULL);
        Py_DECREF(out);
    }
    else {
        PyObject *args[7] = {
            self->mw, self->environ, self->start_response, status, headers, exc_info, cors
        };
        result = PyObject_VectorcallMethod(
            s_inject, args, 7, NULL);
    }
    Py_XDECREF(owned);
    return result;
}

/* start_response(status, headers, exc_info=None), by position or keyword. */
static PyObject *
injector_vectorcall(InjectorObject *self, PyObject *const *args, size_t nargsf,
                    PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *slots[3] = {NULL, NULL, Py_None};
    if (nargs > 3) {
        PyErr_Format(PyExc_TypeError,
                     "start_response() takes from 2 to 3 positional arguments but %zd were "
                     "given", nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        slots[i] = args[i];
    }
    if (kwnames != NULL) {
        PyObject *names[3] = {s_status, s_headers, s_exc_info};
        Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t k = 0; k < nkw; k++) {
            PyObject *key = PyTuple_GET_ITEM(kwnames, k);
            int slot = -1;
            for (int j = 0; j < 3; j++) {
                int eq = PyObject_RichCompareBool(key, names[j], Py_EQ);
                if (eq < 0) {
                    return NULL;
                }
                if (eq) {
                    slot = j;
                    break;
                }
            }
            if (slot < 0) {
                PyErr_Format(PyExc_TypeError,
                             "start_response() got an unexpected keyword argument '%S'", key);
                return NULL;
            }
            if (slot < nargs) {
                PyErr_Format(PyExc_TypeError,
                             "start_response() got multiple values for argument '%S'", key);
                return NULL;
            }
            slots[slot] = args[nargs + k];
        }
    }
    if (slots[0] == NULL || slots[1] == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "start_response() missing required argument 'status' or 'headers'");
        return NULL;
    }
    return injector_start(self, slots[0], slots[1], slots[2]);
}

static PyObject *
injector_new_for(PyObject *sr, PyObject *cors, PyObject *late, PyObject *origin, PyObject *mw,
                 PyObject *environ)
{
    InjectorObject *self = PyObject_GC_New(InjectorObject, &InjectorType);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = (vectorcallfunc)injector_vectorcall;
    self->start_response = Py_NewRef(sr);
    self->cors = Py_XNewRef(cors);
    self->late = Py_XNewRef(late);
    self->origin = Py_XNewRef(origin);
    self->mw = Py_NewRef(mw);
    self->environ = Py_NewRef(environ);
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static PyTypeObject InjectorType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flask_edgecors._speedups.Injector",
    .tp_doc = PyDoc_STR("The start_response a CORS layer hands to the app it wraps."),
    .tp_basicsize = sizeof(InjectorObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(InjectorObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_traverse = (traverseproc)injector_traverse,
    .tp_clear = (inquiry)injector_clear,
    .tp_dealloc = (destructor)injector_dealloc,
};

/* -- Entry: the WSGI call ------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    PyObject *app;
    PyObject *fast;        /* the armed single policy, or NULL/None */
    PyObject *fast_late;   /* the armed LatePolicy of non-preflight requests, or NULL/None */
    PyObject *propagate;   /* propagate_exceptions */
} EntryObject;

static int
entry_traverse(EntryObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->app);
    Py_VISIT(self->fast);
    Py_VISIT(self->fast_late);
    Py_VISIT(self->propagate);
    return 0;
}

static int
entry_clear(EntryObject *self)
{
    Py_CLEAR(self->app);
    Py_CLEAR(self->fast);
    Py_CLEAR(self->fast_late);
    Py_CLEAR(self->propagate);
    return 0;
}

static void
entry_dealloc(EntryObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    entry_clear(self);
    tp->tp_free((PyObject *)self);
}

static PyObject *
general(PyObject *self, PyObject *environ, PyObject *sr)
{
    PyObject *args[3] = {self, environ, sr};
    return PyObject_Vectorcall(g_general, args, 3, NULL);
}

/* The app raised an Exception: propagate it, or let the Python _app_error answer (it sees
 * the exception as sys.exc_info(); None from it means re-raise). */
static PyObject *
app_raised(EntryObject *self, PyObject *environ, PyObject *sr, PyObject *cors, PyObject *late,
           PyObject *origin)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    int propagate = self->propagate == NULL ? 0 : PyObject_IsTrue(self->propagate);
    if (propagate != 0) {
        /* propagate_exceptions (a failing __bool__ counts as true: the app's error wins) */
        PyErr_Clear();
        PyErr_Restore(type, value, tb);
        return NULL;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(value, tb);
    }
    PyObject *old_type, *old_value, *old_tb;
    PyErr_GetExcInfo(&old_type, &old_value, &old_tb);
    PyErr_SetExcInfo(Py_XNewRef(type), Py_XNewRef(value), Py_XNewRef(tb));
    PyObject *args[6] = {
        (PyObject *)self, environ, sr,
        cors != NULL ? cors : Py_None, late != NULL ? late : Py_None,
        origin != NULL ? origin : Py_None
    };
    PyObject *result = PyObject_Vectorcall(g_app_error, args, 6, NULL);
    PyErr_SetExcInfo(old_type, old_value, old_tb);
    if (result == Py_None) {
        Py_DECREF(result);
        PyErr_Restore(type, value, tb);
        return NULL;
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return result;
}

/* Any other call shape: the Python __call__, which raises the usual TypeError. */
static PyObject *
general_any(PyObject *self, PyObject *args, PyObject *kwargs)
{
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    PyObject *full = PyTuple_New(n + 1);
    if (full == NULL) {
        return NULL;
    }
    PyTuple_SET_ITEM(full, 0, Py_NewRef(self));
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTuple_SET_ITEM(full, i + 1, Py_NewRef(PyTuple_GET_ITEM(args, i)));
    }
    PyObject *result = PyObject_Call(g_general, full, kwargs);
    Py_DECREF(full);
    return result;
}

static PyObject *
entry_call(EntryObject *self, PyObject *args, PyObject *kwargs)
{
    if (g_general == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "flask_edgecors._speedups is not configured");
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) != 2 || (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0)) {
        return general_any((PyObject *)self, args, kwargs);
    }
    /* environ and sr are held by args; everything else is taken as a strong reference before
     * any Python code can run (a reload in another thread, or by the app, may replace
     * self->fast, self->fast_late or the environ's Origin meanwhile). */
    PyObject *environ = PyTuple_GET_ITEM(args, 0);
    PyObject *sr = PyTuple_GET_ITEM(args, 1);
    if (!PyDict_CheckExact(environ) || self->app == NULL) {
        return general((PyObject *)self, environ, sr);
    }
    PyObject *policy = self->fast;
    PyObject *late = NULL;
    if (policy == NULL || policy == Py_None) {
        policy = NULL;
        late = self->fast_late;
        if (late == NULL || late == Py_None) {
            return general((PyObject *)self, environ, sr);
        }
    }
    PyObject *origin = PyDict_GetItemWithError(environ, s_HTTP_ORIGIN);
    if (origin == NULL && PyErr_Occurred()) {
        return NULL;
    }
    if (origin != NULL && !PyUnicode_CheckExact(origin)) {
        return general((PyObject *)self, environ, sr);
    }
    Py_XINCREF(policy);
    Py_XINCREF(late);
    Py_XINCREF(origin);
    PyObject *cors = NULL;
    PyObject *result = NULL;
    if (origin == NULL) {
        if (late == NULL) {
            cors = Py_NewRef(g_vary_only);
        }
    }
    else {
        PyObject *acrm = PyDict_GetItemWithError(environ, s_ACRM);
        if (acrm == NULL && PyErr_Occurred()) {
            goto done;
        }
        if (acrm != NULL) {
            /* Maybe a preflight: answered at the edge under the armed single policy, else by
             * the Python path. */
            PyObject *method = PyDict_GetItemWithError(environ, s_REQUEST_METHOD);
            if (method == NULL && PyErr_Occurred()) {
                goto done;
            }
            if (method != NULL && !PyUnicode_CheckExact(method)) {
                result = general((PyObject *)self, environ, sr);
                goto done;
            }
            if (method != NULL && PyUnicode_CompareWithASCIIString(method, "OPTIONS") == 0) {
                if (policy != NULL) {
                    PyObject *call[6] = {(PyObject *)self, environ, sr, policy, origin, Py_False};
                    result = PyObject_VectorcallMethod(s_preflight, call, 6, NULL);
                }
                else {
                    result = general((PyObject *)self, environ, sr);
                }
                goto done;
            }
        }
        if (late == NULL) {
            cors = answer_for(policy, origin);
            if (cors == NULL) {
                goto done;
            }
        }
    }
    PyObject *injector = injector_new_for(sr, cors, late, origin, (PyObject *)self, environ);
    if (injector != NULL) {
        PyObject *app = Py_NewRef(self->app);
        PyObject *call[2] = {environ, injector};
        result = PyObject_Vectorcall(app, call, 2, NULL);
        Py_DECREF(app);
        Py_DECREF(injector);
        if (result == NULL && PyErr_ExceptionMatches(PyExc_Exception)) {
            result = app_raised(self, environ, sr, cors, late, origin);
        }
    }
done:
    Py_XDECREF(cors);
    Py_XDECREF(origin);
    Py_XDECREF(late);
    Py_XDECREF(policy);
    return result;
}

static PyMemberDef entry_members[] = {
    {"app", T_OBJECT_EX, offsetof(EntryObject, app), 0, PyDoc_STR("The wrapped WSGI app.")},
    {"_fast", T_OBJECT, offsetof(EntryObject, fast), 0, NULL},
    {"_fast_late", T_OBJECT, offsetof(EntryObject, fast_late), 0, NULL},
    {"propagate_exceptions", T_OBJECT_EX, offsetof(EntryObject, propagate), 0, NULL},
    {NULL}
};

static PyTypeObject EntryType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flask_edgecors._speedups.Entry",
    .tp_doc = PyDoc_STR("The WSGI call of CORSMiddleware (its armed fast path in C)."),
    .tp_basicsize = sizeof(EntryObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_call = (ternaryfunc)entry_call,
    .tp_members = entry_members,
    .tp_traverse = (traverseproc)entry_traverse,
    .tp_clear = (inquiry)entry_clear,
    .tp_dealloc = (destructor)entry_dealloc,
};

/* -- module ---------------------------------------------------------------------------------- */

static PyObject *
configure(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"general", "answer", "app_error", "vary_only", NULL};
    PyObject *general_fn, *answer, *app_error, *vary_only;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO!:configure", keywords, &general_fn,
                                     &answer, &app_error, &PyTuple_Type, &vary_only)) {
        return NULL;
    }
    Py_XSETREF(g_general, Py_NewRef(general_fn));
    Py_XSETREF(g_answer, Py_NewRef(answer));
    Py_XSETREF(g_app_error, Py_NewRef(app_error));
    Py_XSETREF(g_vary_only, Py_NewRef(vary_only));
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("configure(general, answer, app_error, vary_only): the Python side.")},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "flask_edgecors._speedups",
    .m_doc = PyDoc_STR("The armed per-request path of CORSMiddleware, in C (optional)."),
    .m_size = -1,
    .m_methods = module_methods,
};

static int
intern(PyObject **slot, const char *text)
{
    *slot = PyUnicode_InternFromString(text);
    return *slot == NULL ? -1 : 0;
}

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (intern(&s_HTTP_ORIGIN, "HTTP_ORIGIN") < 0
        || intern(&s_ACRM, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") < 0
        || intern(&s_REQUEST_METHOD, "REQUEST_METHOD") < 0
        || intern(&s_exact_answers, "exact_answers") < 0
        || intern(&s_inject, "_inject") < 0
        || intern(&s_at_response, "at_response") < 0
        || intern(&s_preflight, "_preflight") < 0
        || intern(&s_status, "status") < 0
        || intern(&s_headers, "headers") < 0
        || intern(&s_exc_info, "exc_info") < 0) {
        return NULL;
    }
    if (PyType_Ready(&InjectorType) < 0 || PyType_Ready(&EntryType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(module, "Entry", (PyObject *)&EntryType) < 0
        || PyModule_AddObjectRef(module, "Injector", (PyObject *)&InjectorType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
