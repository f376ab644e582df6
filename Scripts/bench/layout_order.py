"""The input sections a profiled run executed, as a GNU gold `--section-ordering-file` (Scripts/build-layout.sh).

  layout_order.py --map tessera.map --binary tessera --out tessera.section-order PROFILE.callgrind…

Reads callgrind profiles (`--dump-instr=yes`) of BINARY (a copy of the linked program; only the file name is matched
against the profile's objects) and the linker map of that same link (`-Map`), and writes one input-section name per
line (`.text.$s7Tessera…`), in the order callgrind wrote them (the order gold lays them out in). Sections are named rather than symbols
because Swift emits witness thunks and other private functions with a section of their own but no symbol: a symbol
ordering (lld's `--symbol-ordering-file`) leaves them scattered, and each pulls a 64 KB fault-around window of the
executable into memory.
"""
import argparse
import bisect
import os
import re
import subprocess
import sys

POSITION = re.compile(r"^(0x[0-9a-f]+|[+-]\d+|\*)\s")
NAME = re.compile(r"\((\d+)\)(?: (.*))?$")


def text_sections(map_path):
    """(address, size, name) of every non-empty .text.* input section of a gold map's memory map, by address."""
    full = re.compile(r"^ (\.text\S*)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+\S")
    name_only = re.compile(r"^ (\.text\S*)\s*$")
    address_line = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+\S")
    sections, pending, in_memory_map = [], None, False
    with open(map_path, errors="replace") as f:
        for line in f:
            if not in_memory_map:  # before it: the discarded input sections, listed at address 0
                in_memory_map = line.startswith("Memory map")
                continue
            m = full.match(line)
            if m:
                sections.append((int(m.group(2), 16), int(m.group(3), 16), m.group(1)))
                pending = None
                continue
            m = name_only.match(line)
            if m:  # a long name: address, size and object follow on the next line
                pending = m.group(1)
                continue
            if pending:
                m = address_line.match(line)
                if m:
                    sections.append((int(m.group(1), 16), int(m.group(2), 16), pending))
                pending = None
    # A bare ".text" is an object's section of everything not split per function (assembly, mostly): ordering that
    # name would pull every such section of every object into the group.
    return sorted(s for s in sections if s[1] > 0 and s[2] != ".text")


def executed_addresses(profile, binary_name):
    """Instruction addresses callgrind counted in the object named binary_name, in the file's order."""
    objects, current = {}, None
    address, call_site_next = 0, False
    with open(profile, errors="replace") as f:
        for line in f:
            if line.startswith("calls="):  # the next line is the call site: callgrind does not move its position
                call_site_next = True
                continue
            if line.startswith(("ob=", "cob=")):
                key, _, rest = line.rstrip("\n").partition("=")
                m = NAME.match(rest)
                if m:
                    if m.group(2):
                        objects[m.group(1)] = m.group(2)
                    if key == "ob":
                        current = objects.get(m.group(1))
                continue
            m = POSITION.match(line)
            if not m:
                continue
            token = m.group(1)
            position = address
            if token.startswith("0x"):
                position = int(token, 16)
            elif token != "*":
                position += int(token)
            if not call_site_next:
                address = position
            call_site_next = False
            if current and os.path.basename(current) == binary_name:
                yield position


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--map", required=True, help="the gold map of the profiled link (-Map=FILE)")
    parser.add_argument("--binary", required=True, help="the profiled program (its file name is looked for)")
    parser.add_argument("--out", required=True)
    parser.add_argument("profiles", nargs="+")
    args = parser.parse_args()
    sections = text_sections(args.map)
    if not sections:
        raise SystemExit("no .text input sections in %s: was it written by GNU gold's -Map?" % args.map)
    starts = [s[0] for s in sections]
    name = os.path.basename(args.binary)
    addresses = [a for profile in args.profiles for a in executed_addresses(profile, name)]
    if not addresses:
        raise SystemExit("the profiles hold no instruction of %s (run callgrind with --dump-instr=yes)" % name)
    # callgrind writes an object's addresses as linked (valgrind's dump.c subtracts the load offset)
    order, seen, outside = [], set(), 0
    for a in addresses:
        i = bisect.bisect_right(starts, a) - 1
        if i < 0 or a >= sections[i][0] + sections[i][1]:
            outside += 1
            continue
        section = sections[i][2]
        if section not in seen:
            seen.add(section)
            order.append(section)
    size = {s[2]: s[1] for s in sections}
    if outside > len(addresses) // 2:
        raise SystemExit("most profiled addresses (%d of %d) fall outside the map's sections: the map is not the"
                         " profiled link's" % (outside, len(addresses)))
    with open(args.out, "w") as f:
        f.write("".join(s + "\n" for s in order))
    print("%d input sections, %.2f MB of code grouped together (of %.1f MB); %d profiled addresses outside them"
          % (len(order), sum(size[s] for s in order) / 1e6, sum(s[1] for s in sections) / 1e6, outside),
          file=sys.stderr)


main()
