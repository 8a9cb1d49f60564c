#!/usr/bin/env python3
"""A third-party flight computer written from PROTOCOL.md alone (HAL wire protocol v1).

It imports nothing of the project: only pyserial, cbor2 and zlib. It opens one satellite's
serial path (a pty served by `fsw emulate`, or a real port), and checks what the page
promises:

  1. hello (role fc) is answered by the hardware's hello (role hw, sat, hw, devices,
     watchdog_ms);
  2. `read thermal` is answered by a `sample` with ref = our seq and the four fields of §4;
  3. `cmd heater set {on: true}` is answered by an `ack` with ref = our seq and ok = true;
  4. a frame with a bad CRC is dropped without an answer, and does not disturb what follows;
  5. a frame whose CRC holds but whose body breaks the schema (a `read` without `dev`) is
     answered with `error`, ref = its seq, code `schema`; an unknown kind gets code `kind`;
  6. every frame received is one plain CBOR map (no tags) with v, kind, seq, time.

Prints one JSON object (the summary) on stdout; exit 0 when every check held, 1 otherwise,
2 on bad usage.

    python3 third_party_client.py /tmp/fsw-emulate-XXXX/SAT-1 [--timeout 5]

Debian: apt-get install -y python3-serial python3-cbor2
"""
import json
import struct
import sys
import time
import zlib

import cbor2
import serial

END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD
MAX_PAYLOAD = 4096
ALL_DEVICES = ["imu", "mag", "sun", "thermal", "eps", "rad", "heater", "payload", "adcs", "obc", "radio"]


def now_ms():
    return int(time.monotonic() * 1000)


def slip_frame(payload):
    out = bytearray([END])
    for b in payload:
        if b == END:
            out += bytes([ESC, ESC_END])
        elif b == ESC:
            out += bytes([ESC, ESC_ESC])
        else:
            out.append(b)
    out.append(END)
    return bytes(out)


def with_crc(body):
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


class Deframer:
    """SLIP receiver (PROTOCOL.md §1): frames between ENDs, escapes, CRC-32 LE, size bound."""

    def __init__(self):
        self.buf = bytearray()
        self.esc = False
        self.bad = False
        self.drops = {"escape": 0, "crc": 0, "oversize": 0}

    def push(self, data):
        bodies = []
        for b in data:
            if b == END:
                if self.bad:
                    pass  # already counted
                elif self.buf:
                    payload = bytes(self.buf)
                    if len(payload) < 4:
                        self.drops["crc"] += 1
                    else:
                        body, crc = payload[:-4], struct.unpack("<I", payload[-4:])[0]
                        if zlib.crc32(body) & 0xFFFFFFFF == crc:
                            bodies.append(body)
                        else:
                            self.drops["crc"] += 1
                self.buf = bytearray()
                self.esc = False
                self.bad = False
                continue
            if self.bad:
                continue
            if self.esc:
                self.esc = False
                if b == ESC_END:
                    b = END
                elif b == ESC_ESC:
                    b = ESC
                else:
                    self.drops["escape"] += 1
                    self.bad = True
                    continue
            elif b == ESC:
                self.esc = True
                continue
            self.buf.append(b)
            if len(self.buf) > MAX_PAYLOAD:
                self.drops["oversize"] += 1
                self.bad = True
        return bodies


def is_plain(item, depth=0):
    """True when the decoded item uses only plain CBOR (no tags), nested at most 16 deep."""
    if isinstance(item, cbor2.CBORTag) or depth > 16:
        return False
    if isinstance(item, dict):
        return all(isinstance(k, str) for k in item) and all(is_plain(v, depth + 1) for v in item.values())
    if isinstance(item, list):
        return all(is_plain(v, depth + 1) for v in item)
    return item is None or isinstance(item, (bool, int, float, str, bytes))


class FlightComputer:
    def __init__(self, path, timeout):
        self.port = serial.Serial(path, 115200, bytesize=8, parity="N", stopbits=1, timeout=0.02,
                                  xonxoff=False, rtscts=False)
        self.port.reset_input_buffer()
        self.timeout = timeout
        self.seq = 0
        self.rx = Deframer()
        self.inbox = []
        self.received = 0
        self.not_plain = 0
        self.missing_common = 0
        self.pushed_samples = 0

    def next_seq(self):
        self.seq = (self.seq + 1) % (1 << 32)
        return self.seq

    def send(self, kind, **fields):
        seq = self.next_seq()
        body = cbor2.dumps({"v": 1, "kind": kind, "seq": seq, "time": now_ms(), **fields})
        self.port.write(slip_frame(with_crc(body)))
        self.port.flush()
        return seq

    def send_raw(self, payload):
        self.port.write(slip_frame(payload))
        self.port.flush()

    def poll(self):
        data = self.port.read(4096)
        for body in self.rx.push(data):
            self.received += 1
            try:
                msg = cbor2.loads(body)
            except Exception:
                self.not_plain += 1
                continue
            if not is_plain(msg) or not isinstance(msg, dict):
                self.not_plain += 1
                continue
            if not all(k in msg for k in ("v", "kind", "seq", "time")) or msg["v"] != 1:
                self.missing_common += 1
            if msg.get("kind") == "sample" and "ref" not in msg:
                self.pushed_samples += 1
            self.inbox.append(msg)

    def wait_for(self, pred, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for i, m in enumerate(self.inbox):
                if pred(m):
                    return self.inbox.pop(i)
            if time.monotonic() > deadline:
                return None
            self.poll()

    def answered(self, ref, wait_s):
        """Whatever arrives naming `ref` within wait_s (None when nothing does)."""
        return self.wait_for(lambda m: m.get("ref") == ref and m.get("kind") in ("sample", "ack", "error"), wait_s)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    path = argv[1]
    timeout = float(argv[argv.index("--timeout") + 1]) if "--timeout" in argv else 5.0
    checks = {}
    summary = {"path": path, "checks": checks}
    fc = FlightComputer(path, timeout)
    try:
        # 1. Handshake: F sends hello first and nothing else until H's hello arrives.
        t0 = time.monotonic()
        hello = None
        while hello is None and time.monotonic() - t0 < timeout:
            fc.send("hello", role="fc", sw="third-party-py/1")
            hello = fc.wait_for(lambda m: m.get("kind") == "hello" and m.get("role") == "hw", 1.0)
        checks["hello"] = hello is not None
        if hello is None:
            summary["error"] = "no hello from the hardware"
            return finish(summary, fc)
        summary["hello_ms"] = round((time.monotonic() - t0) * 1000, 1)
        summary["sat"] = hello.get("sat")
        summary["hw"] = hello.get("hw")
        summary["watchdog_ms"] = hello.get("watchdog_ms")
        devices = hello.get("devices") or []
        summary["devices"] = [d.get("id") for d in devices]
        checks["hello_fields"] = isinstance(hello.get("sat"), str) and isinstance(hello.get("hw"), str) \
            and isinstance(hello.get("watchdog_ms"), int) and isinstance(devices, list)
        checks["devices_of_section_4"] = all(d in summary["devices"] for d in ALL_DEVICES) and all(
            isinstance(d.get("rate_hz"), (int, float)) and isinstance(d.get("fields"), dict) and isinstance(d.get("ops"), list)
            for d in devices)

        # 2. read thermal -> sample with ref.
        ref = fc.send("read", dev="thermal")
        s = fc.answered(ref, timeout)
        ok = s is not None and s["kind"] == "sample" and s.get("dev") == "thermal" and isinstance(s.get("at"), int)
        val = s.get("val", {}) if s else {}
        ok = ok and all(isinstance(val.get(f), (int, float)) and not isinstance(val.get(f), bool)
                        for f in ("obc", "battery", "payload", "radio"))
        checks["read_thermal"] = ok
        summary["thermal"] = val

        # 3. cmd heater set {on: true} -> ack ok.
        t = time.monotonic()
        ref = fc.send("cmd", dev="heater", op="set", args={"on": True})
        a = fc.answered(ref, timeout)
        checks["cmd_heater_ack"] = a is not None and a["kind"] == "ack" and a.get("ok") is True
        summary["heater_ack_ms"] = round((time.monotonic() - t) * 1000, 1)

        # 4. A valid read body with a broken CRC: dropped silently.
        bad_seq = fc.next_seq()
        body = cbor2.dumps({"v": 1, "kind": "read", "seq": bad_seq, "time": now_ms(), "dev": "thermal"})
        crc = zlib.crc32(body) ^ 0xDEADBEEF
        fc.send_raw(body + struct.pack("<I", crc & 0xFFFFFFFF))
        checks["bad_crc_not_answered"] = fc.answered(bad_seq, 0.3) is None

        # 5. CRC holds, body breaks the schema of its kind (read without dev) -> error schema.
        ref = fc.next_seq()
        fc.send_raw(with_crc(cbor2.dumps({"v": 1, "kind": "read", "seq": ref, "time": now_ms()})))
        e = fc.answered(ref, timeout)
        checks["schema_error"] = e is not None and e["kind"] == "error" and e.get("code") == "schema"
        summary["schema_error"] = {k: e.get(k) for k in ("ref", "code", "msg")} if e else None

        ref = fc.send("frobnicate", dev="thermal")
        e = fc.answered(ref, timeout)
        checks["unknown_kind_error"] = e is not None and e["kind"] == "error" and e.get("code") == "kind"

        # The receiver survived the bad frames: a read still works, and the heater reads back on
        # (the hardware applies the command at its next world step).
        deadline = time.monotonic() + timeout
        heater_on = False
        while time.monotonic() < deadline and not heater_on:
            ref = fc.send("read", dev="heater")
            s = fc.answered(ref, timeout)
            heater_on = s is not None and s.get("val", {}).get("on") is True
            if not heater_on:
                time.sleep(0.1)
        checks["heater_reads_back_on"] = heater_on

        # 6. Every frame decoded by a plain CBOR decoder, with the common fields.
        fc.poll()
        checks["all_frames_plain_cbor"] = fc.not_plain == 0
        checks["all_frames_common_fields"] = fc.missing_common == 0
        checks["no_framing_drops"] = sum(fc.rx.drops.values()) == 0
        return finish(summary, fc)
    finally:
        fc.port.close()


def finish(summary, fc):
    summary["frames_received"] = fc.received
    summary["pushed_samples"] = fc.pushed_samples
    summary["rx_drops"] = fc.rx.drops
    summary["ok"] = all(summary["checks"].values()) and "error" not in summary
    print(json.dumps(summary, default=repr))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
