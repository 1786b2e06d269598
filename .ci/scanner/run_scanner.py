"""Run CORScanner (PyPI package "cors") so that it can contact nothing but loopback.

Run with the scanner's own venv (.ci/.venv-scanner).  Before CORScanner is imported:

* name resolution is patched: the target host names given with ``--map`` resolve to 127.0.0.1,
  loopback names and literals resolve as usual, and every other name is refused and recorded;
* ``socket.connect`` refuses and records any address that is not loopback;
* tldextract is configured with no remote suffix-list URLs and no cache directory, so it uses
  the Public Suffix List snapshot bundled inside the tldextract package and never downloads.

Exit status: CORScanner's own (always 0) unless an outbound attempt was recorded (3).
Usage: python run_scanner.py --map host1,host2 -- <CORScanner arguments>
"""

from __future__ import annotations

import ipaddress
import socket
import sys

import gevent.monkey

gevent.monkey.patch_all()

ATTEMPTS: list[str] = []


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", maxsplit=1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


def install_guard(mapped: set[str]) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else host
        if name in mapped:
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        if name is None or _loopback(name):
            return real_getaddrinfo(host, port, *args, **kwargs)
        ATTEMPTS.append(f"resolve {name}:{port}")
        raise socket.gaierror(socket.EAI_NONAME, f"blocked by run_scanner.py: {name}")

    socket.getaddrinfo = guarded_getaddrinfo
    base = socket.socket

    class GuardedSocket(base):  # type: ignore[misc, valid-type]
        def connect(self, address):  # type: ignore[no-untyped-def]
            self._check(address)
            return super().connect(address)

        def connect_ex(self, address):  # type: ignore[no-untyped-def]
            self._check(address)
            return super().connect_ex(address)

        @staticmethod
        def _check(address):  # type: ignore[no-untyped-def]
            if isinstance(address, tuple) and not _loopback(str(address[0])):
                ATTEMPTS.append(f"connect {address!r}")
                raise ConnectionRefusedError(f"blocked by run_scanner.py: {address!r}")

    socket.socket = GuardedSocket


def offline_tldextract() -> None:
    import tldextract  # noqa: PLC0415 - only after the socket guard is in place
    import tldextract.tldextract as impl  # noqa: PLC0415

    offline = impl.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
    impl.TLD_EXTRACTOR = offline
    probe = tldextract.extract("https://api.example.com:8443/x")
    assert (probe.domain, probe.suffix) == ("example", "com"), probe


def main(argv: list[str]) -> int:
    split = argv.index("--")
    mapped = set(argv[argv.index("--map") + 1].split(",")) if "--map" in argv[:split] else set()
    install_guard(mapped)
    offline_tldextract()
    from CORScanner import cors_scan  # noqa: PLC0415 - only after the guard

    sys.argv = ["cors", *argv[split + 1 :]]
    cors_scan.main()
    if ATTEMPTS:
        print("run_scanner.py: outbound attempts blocked:", *ATTEMPTS, sep="\n  ", file=sys.stderr)
        return 3
    print("run_scanner.py: no outbound attempt (loopback only)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
