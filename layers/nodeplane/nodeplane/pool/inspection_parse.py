"""Pure parsers for what a node prints during SSH discovery: no I/O, so every odd output is a unit test.

The remote side runs one script (``INSPECTION_SCRIPT``) that prints each probe's output after a marker
line; ``split_sections`` cuts it back apart and the ``parse_*`` functions turn the pieces into the
``hardware`` / ``software`` / ``system`` dictionaries under the exalsius API's field names (the ``NodeHardware``,
``NodeSoftware`` and ``NodeSystem`` models in ``pool/models/nodes.py``).
"""

from __future__ import annotations

import json
import re
import shlex

MARKER = "@@nodeplane:"

NVIDIA_SMI_QUERY = "nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits"

# (section, shell command) in the order they run; the command text is what a timeout message names.
PROBES: list[tuple[str, str]] = [
    ("uname_m", "uname -m"),
    ("uname_r", "uname -r"),
    ("nproc", "nproc"),
    ("cpuinfo", "grep -m1 -E '^(vendor_id|CPU implementer)' /proc/cpuinfo"),
    ("meminfo", "grep -m1 '^MemTotal:' /proc/meminfo"),
    ("df", "df -P -B1 /"),
    ("os_release", "cat /etc/os-release"),
    ("nvidia_smi", f"command -v nvidia-smi >/dev/null && {NVIDIA_SMI_QUERY}"),
    (
        "cuda",
        "if command -v nvcc >/dev/null; then nvcc --version;"
        " elif [ -r /usr/local/cuda/version.json ]; then cat /usr/local/cuda/version.json;"
        " elif command -v nvidia-smi >/dev/null; then nvidia-smi | head -n 5; fi",
    ),
    ("amd", "cat /opt/rocm/.info/version 2>/dev/null || cat /sys/module/amdgpu/version 2>/dev/null"),
    ("docker", "command -v docker >/dev/null && docker --version"),
]


def inspection_script() -> str:
    """One shell script for all probes, so discovery costs a single SSH channel and round trip."""
    lines = ["exec </dev/null 2>/dev/null"]  # no probe may wait on stdin; stderr noise is not a fact
    for section, command in PROBES:
        lines.append(f"echo {shlex.quote(MARKER + section)}")
        lines.append(f"{{ {command}; }} || true")
    lines.append(f"echo {shlex.quote(MARKER + 'end')}")
    return "\n".join(lines) + "\n"


def command_of(section: str) -> str:
    """The shell command behind a section, for error messages."""
    return dict(PROBES).get(section, section)


def split_sections(output: str) -> dict[str, str]:
    """Cut the script's output at marker lines into {section: text}."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith(MARKER):
            current = sections.setdefault(line[len(MARKER) :].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(body).strip() for name, body in sections.items()}


def parse_nvidia_smi(text: str) -> list[dict[str, str | int]]:
    """Rows of ``name, memory.total (MiB), driver_version``; anything unparsable is skipped, not guessed."""
    gpus: list[dict[str, str | int]] = []
    for line in text.splitlines():
        # a GPU name may itself contain a comma, so memory and driver are taken from the right
        fields = [field.strip() for field in line.rsplit(",", 2)]
        if len(fields) < 3 or not fields[0]:
            continue
        name, memory, driver = fields
        try:
            memory_mib = int(float(memory))
        except ValueError:
            continue
        gpus.append({"name": name, "memory_mib": memory_mib, "driver": driver})
    return gpus


def parse_cuda_version(text: str) -> str | None:
    """CUDA version from ``nvcc --version``, ``/usr/local/cuda/version.json`` or the ``nvidia-smi`` header."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            version = json.loads(text).get("cuda", {}).get("version")
        except (ValueError, AttributeError):
            return None
        # version.json carries the patch level (12.2.140); users and nvcc speak of 12.2
        return ".".join(str(version).split(".")[:2]) if version else None
    match = re.search(r"release\s+(\d+\.\d+)", text) or re.search(r"CUDA Version:\s*(\d+\.\d+)", text)
    return match.group(1) if match else None


def parse_docker_version(text: str) -> str | None:
    match = re.search(r"Docker version\s+([^\s,]+)", text)
    return match.group(1) if match else None


def parse_cpu_vendor(text: str) -> str:
    match = re.search(r"vendor_id\s*:\s*(\S+)", text)
    vendor = match.group(1) if match else ""
    return {"GenuineIntel": "INTEL", "AuthenticAMD": "AMD"}.get(vendor, "UNKNOWN")


def parse_cpu_arch(text: str) -> str:
    arch = text.strip()
    return {"x86_64": "X86_64", "amd64": "X86_64", "aarch64": "AARCH64", "arm64": "AARCH64"}.get(arch, "UNKNOWN")


def parse_int(text: str) -> int | None:
    match = re.search(r"\d+", text)
    return int(match.group(0)) if match else None


def parse_memory_gb(text: str) -> int | None:
    """MemTotal (kB, really KiB) in whole GiB, rounded to nearest: a 16 GiB machine reports a bit less."""
    match = re.search(r"MemTotal:\s*(\d+)\s*kB", text)
    return round(int(match.group(1)) / (1024 * 1024)) if match else None


def parse_storage_gb(text: str) -> int | None:
    """Size of the root filesystem in whole GiB from ``df -P -B1 /`` (second line, second column)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    fields = lines[-1].split()
    if len(fields) < 2 or not fields[1].isdigit():
        return None
    return int(fields[1]) // (1024**3)


def parse_os_release(text: str) -> str | None:
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "PRETTY_NAME":
            try:
                parts = shlex.split(value)
            except ValueError:
                parts = [value.strip("\"'")]
            return " ".join(parts) or None
    return None


def build_facts(
    sections: dict[str, str],
) -> tuple[dict[str, int | str], dict[str, str], dict[str, str], list[str]]:
    """(hardware, software, system, warnings) from the script's sections; absent facts stay absent."""
    hardware: dict[str, int | str] = {}
    software: dict[str, str] = {}
    system: dict[str, str] = {}
    warnings: list[str] = []

    gpus = parse_nvidia_smi(sections.get("nvidia_smi", ""))
    hardware["gpu_count"] = len(gpus)
    if gpus:
        hardware["gpu_vendor"] = "NVIDIA"
        hardware["gpu_type"] = str(gpus[0]["name"])
        hardware["gpu_memory"] = int(gpus[0]["memory_mib"])
        software["nvidia"] = str(gpus[0]["driver"])
    cpu_cores = parse_int(sections.get("nproc", ""))
    if cpu_cores is not None:
        hardware["cpu_cores"] = cpu_cores
    memory_gb = parse_memory_gb(sections.get("meminfo", ""))
    if memory_gb is not None:
        hardware["memory_gb"] = memory_gb
    storage_gb = parse_storage_gb(sections.get("df", ""))
    if storage_gb is not None:
        hardware["storage_gb"] = storage_gb
    hardware["cpu_vendor"] = parse_cpu_vendor(sections.get("cpuinfo", ""))
    hardware["cpu_arch"] = parse_cpu_arch(sections.get("uname_m", ""))

    cuda = parse_cuda_version(sections.get("cuda", ""))
    if cuda:
        software["cuda"] = cuda
        warnings.append(f"CUDA {cuda} is already installed")
    amd = sections.get("amd", "").strip().splitlines()
    if amd and amd[0].strip():
        software["amd"] = amd[0].strip()
    docker = parse_docker_version(sections.get("docker", ""))
    if docker:
        software["docker"] = docker
        warnings.append(f"Docker {docker} is already installed")

    os_name = parse_os_release(sections.get("os_release", ""))
    if os_name:
        system["os"] = os_name
    kernel = sections.get("uname_r", "").strip()
    if kernel:
        system["kernel"] = kernel
    return hardware, software, system, warnings
