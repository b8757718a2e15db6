"""The two hot calls of a policy decision, made straight on rego-cpp's C API.

Every write asks the policy once, so what a decision costs outside the engine matters.
regopy's `Interpreter.set_input` builds the input document node by node through ctypes, with
an abstract-base-class check and a fresh C string buffer per node; its `Output` serialises a
result three times and parses it twice. The C API regopy wraps takes the same nodes (one call
each: `regoInputString`, `regoInputObjectItem`, …) and the result text in one call, so this
module makes exactly those calls and nothing else. The C library does the same work as
through regopy — same nodes, in the same order, the same result text — and a test holds the
two paths equal. A value of a type the direct path does not know (a set, a custom mapping)
goes through regopy's own converter instead; rego-cpp's JSON input parser
(`regoSetInputTerm`) is not used: it runs the full Rego parser and is slower than either.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Compiled:
    """A compiled bundle and the entrypoint to evaluate (None: the bundle's own query)."""

    bundle: Any
    entrypoint: bytes | None


class _Unsupported(Exception):
    """A value the direct builder leaves to regopy's general converter."""


def set_input(runner: Any, value: Mapping[str, Any]) -> None:
    """Make `value` the interpreter's input document (RegoError / ValueError if it cannot)."""
    from regopy import Input, RegoError
    from regopy.rego_shared import rego_get_error

    lib = _lib()
    handle = lib.regoNewInput()
    try:
        try:
            _push(lib, handle, value)
        except _Unsupported:
            runner.set_input(Input(value))
            return
        status = lib.regoInputValidate(handle)
        if status != 0:
            raise RegoError("Unable to create input", status)
        status = lib.regoSetInput(runner._impl, handle)
        if status != 0:
            raise RegoError(rego_get_error(runner._impl), status)
    finally:
        lib.regoFreeInput(handle)  # the interpreter keeps its own reference to the document


def query(runner: Any, compiled: Compiled) -> tuple[bool, str]:
    """Evaluate a compiled bundle on the current input: (engine ok, result text)."""
    from regopy import RegoError
    from regopy.rego_shared import rego_get_error

    lib = _lib()
    if compiled.entrypoint is None:
        output = lib.regoBundleQuery(runner._impl, compiled.bundle._impl)
    else:
        output = lib.regoBundleQueryEntrypoint(
            runner._impl, compiled.bundle._impl, compiled.entrypoint
        )
    if not output:
        raise RegoError(rego_get_error(runner._impl))
    try:
        size = lib.regoOutputJSONSize(output)
        buffer = ctypes.create_string_buffer(size)
        status = lib.regoOutputJSON(output, buffer, size)
        if status != 0:
            raise RegoError(rego_get_error(runner._impl), status)
        return bool(lib.regoOutputOk(output)), buffer.value.decode("utf-8")
    finally:
        lib.regoFreeOutput(output)


@cache
def _lib() -> Any:
    """regopy's handle on the C library, with the one signature regopy does not declare."""
    from regopy.rego_shared import rego as lib

    lib.regoInputValidate.restype = ctypes.c_uint32
    lib.regoInputValidate.argtypes = [ctypes.c_void_p]
    return lib


def _push(lib: Any, handle: Any, value: Any) -> None:
    """Push `value` onto the input's node stack, depth first, exactly as regopy orders it."""
    string: Callable[[Any, bytes], int] = lib.regoInputString
    item = lib.regoInputObjectItem
    obj = lib.regoInputObject
    array = lib.regoInputArray

    def add(v: Any) -> None:
        kind = type(v)
        if kind is str:
            string(handle, v.encode("utf-8"))
        elif kind is dict:
            for key, member in v.items():
                # Most keys and values are strings: pushed here, without a call of add each.
                if type(key) is str:
                    string(handle, key.encode("utf-8"))
                else:
                    add(key)
                if type(member) is str:
                    string(handle, member.encode("utf-8"))
                else:
                    add(member)
                item(handle)
            obj(handle, len(v))
        elif kind is list or kind is tuple:
            for member in v:
                if type(member) is str:
                    string(handle, member.encode("utf-8"))
                else:
                    add(member)
            array(handle, len(v))
        elif v is None:
            lib.regoInputNull(handle)
        elif kind is bool:
            lib.regoInputBoolean(handle, v)
        elif kind is int:
            lib.regoInputInt(handle, v)
        elif kind is float:
            lib.regoInputFloat(handle, v)
        else:
            raise _Unsupported

    add(value)
