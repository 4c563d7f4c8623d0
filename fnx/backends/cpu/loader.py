"""A minimal loader for the x86-64 ELF object files LLVM makes for the JIT (large code model).

A process that finds a program's machine code in the disk cache maps it with this instead of
LLVM's MCJIT: it then never imports llvmlite (~35 ms to load its 180 MB library). It lays the
allocated sections out in one anonymous mapping (code and read-only data, then writable data on
their own pages), applies the relocations, resolves external symbols (memset, ...) in the
process, and makes the code read-only and executable. Anything it does not know (another
architecture, an unexpected relocation or section, an unresolved symbol) returns None, and the
caller loads the object with MCJIT instead.
"""
from __future__ import annotations

import ctypes
import os
import struct
import sys
import weakref

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")

_SHF_WRITE, _SHF_ALLOC = 0x1, 0x2
_SHT_SYMTAB, _SHT_RELA, _SHT_NOBITS, _SHT_REL = 2, 4, 8, 9
_SHN_UNDEF, _SHN_ABS, _SHN_COMMON = 0, 0xFFF1, 0xFFF2
_STT_SECTION = 3
_R_64, _R_PC32, _R_PLT32, _R_PC64 = 1, 2, 4, 24
_UNSUPPORTED_SECTIONS = (".init_array", ".fini_array", ".ctors", ".dtors", ".tdata", ".tbss")
# Linux's (only Linux is supported; `mmap` the module costs a shared-library load)
_PROT_READ, _PROT_WRITE, _PROT_EXEC = 1, 2, 4
_MAP_PRIVATE, _MAP_ANONYMOUS = 0x02, 0x20
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

_libc = None


def _c():
    global _libc
    if _libc is None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.c_int, ctypes.c_long)
        libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
        libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
        _libc = libc
    return _libc


def _external(name: str) -> int:
    try:
        return ctypes.cast(getattr(_c(), name), ctypes.c_void_p).value or 0
    except AttributeError:
        return 0


class Image:
    """Loaded machine code: symbol addresses (the names MCJIT's engine would give)."""

    def __init__(self, base: int, size: int, symbols: dict):
        self.base = base
        self.size = size
        self._symbols = symbols
        self._unmap = weakref.finalize(self, _c().munmap, base, size)

    def get_function_address(self, name: str) -> int:
        return self._symbols.get(name, 0)

    get_global_value_address = get_function_address


def load(obj: bytes) -> Image | None:
    """Map `obj` (an ELF64 x86-64 relocatable object) into memory, or None if unsupported."""
    if sys.platform != "linux" or sys.byteorder != "little":
        return None
    try:
        return _load(obj)
    except Exception:  # a malformed object: let MCJIT have it (or refuse it)
        return None


def _load(obj: bytes) -> Image | None:
    (ident, e_type, machine, _, _, _, shoff, _, _, _, _, shentsize, shnum,
     shstrndx) = _EHDR.unpack_from(obj, 0)
    if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1 or e_type != 1 or machine != 62:
        return None
    if shentsize != _SHDR.size or shoff + shnum * shentsize > len(obj):
        return None
    shdrs = [_SHDR.unpack_from(obj, shoff + i * shentsize) for i in range(shnum)]
    strtab = shdrs[shstrndx]

    def cstr(table_off: int, off: int) -> str:
        end = obj.index(b"\0", table_off + off)
        return obj[table_off + off:end].decode()

    # Lay out the allocated sections: read-only ones first, writable ones from a new page.
    place: dict[int, int] = {}  # section index -> offset in the mapping
    size = ro_end = 0
    for writable in (False, True):
        if writable:
            ro_end = size = -(-size // _PAGE) * _PAGE
        for i, (name, typ, flags, _, off, sz, _, _, align, _) in enumerate(shdrs):
            if not flags & _SHF_ALLOC or bool(flags & _SHF_WRITE) != writable:
                continue
            if cstr(strtab[4], name).startswith(_UNSUPPORTED_SECTIONS):
                return None
            if typ != _SHT_NOBITS and off + sz > len(obj):
                return None
            align = max(align, 1)
            if align > _PAGE:  # the mapping itself is only page-aligned
                return None
            size = -(-size // align) * align
            place[i] = size
            size += sz
    total = max(-(-size // _PAGE) * _PAGE, _PAGE)
    code_pages = ro_end or total  # the read-only part, mapped executable

    # Symbols.
    symtab = next((s for s in shdrs if s[1] == _SHT_SYMTAB), None)
    if symtab is None:
        return None
    sym_str = shdrs[symtab[6]][4]
    libc = _c()
    base = libc.mmap(None, total, _PROT_READ | _PROT_WRITE, _MAP_PRIVATE | _MAP_ANONYMOUS, -1, 0)
    if base in (None, ctypes.c_void_p(-1).value):
        return None
    ok = False
    try:
        values: list[int] = []
        exported: dict[str, int] = {}
        for off in range(symtab[4], symtab[4] + symtab[5], _SYM.size):
            name_off, info, _, shndx, value, _ = _SYM.unpack_from(obj, off)
            name = cstr(sym_str, name_off) if name_off else ""
            if shndx == _SHN_UNDEF:
                addr = _external(name) if name else 0
                if name and not addr:
                    return None
            elif shndx == _SHN_ABS:
                addr = value
            elif shndx == _SHN_COMMON or shndx >= 0xFF00:
                return None
            elif shndx in place:
                addr = base + place[shndx] + (0 if info & 0xF == _STT_SECTION else value)
            else:
                addr = 0  # a symbol in a section that is not loaded (debug info, ...)
            values.append(addr)
            if name and shndx != _SHN_UNDEF and shndx in place and info >> 4 != 0:
                exported[name] = addr  # global and weak definitions
        image = bytearray(total)
        for i, at in place.items():
            _, typ, _, _, off, sz, _, _, _, _ = shdrs[i]
            if typ != _SHT_NOBITS:
                image[at:at + sz] = obj[off:off + sz]
        for (_, typ, _, _, off, sz, link, info, _, entsize) in shdrs:
            if typ == _SHT_REL:
                return None
            if typ != _SHT_RELA or info not in place:
                continue
            if entsize != _RELA.size or shdrs[link][1] != _SHT_SYMTAB:
                return None
            target = place[info]
            for r_off, r_info, addend in _RELA.iter_unpack(obj[off:off + sz]):
                kind, s = r_info & 0xFFFFFFFF, r_info >> 32
                where = target + r_off
                value = values[s] + addend
                if kind == _R_64:
                    struct.pack_into("<Q", image, where, value & 0xFFFFFFFFFFFFFFFF)
                elif kind in (_R_PC32, _R_PLT32):
                    rel = value - (base + where)
                    if not -2**31 <= rel < 2**31:
                        return None
                    struct.pack_into("<i", image, where, rel)
                elif kind == _R_PC64:
                    struct.pack_into("<q", image, where, value - (base + where))
                else:
                    return None
        ctypes.memmove(base, bytes(image), total)
        if libc.mprotect(base, code_pages, _PROT_READ | _PROT_EXEC) != 0:
            return None
        ok = True
        return Image(base, total, exported)
    finally:
        if not ok:
            libc.munmap(base, total)

