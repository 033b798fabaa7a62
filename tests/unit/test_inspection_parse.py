"""Parsing what nodes print during discovery: multi-GPU, missing tools, odd whitespace."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nodeplane.pool.inspection import DiscoveryError, parse_endpoint
from nodeplane.pool.inspection_parse import (
    MARKER,
    build_facts,
    inspection_script,
    parse_cpu_arch,
    parse_cpu_vendor,
    parse_cuda_version,
    parse_docker_version,
    parse_memory_gb,
    parse_nvidia_smi,
    parse_os_release,
    parse_storage_gb,
    split_sections,
)

EIGHT_GPUS = "\n".join(["NVIDIA A100-SXM4-80GB, 81920, 535.104.05"] * 8) + "\n"

NVIDIA_SMI_HEADER = """\
+---------------------------------------------------------------------------------------+
| NVIDIA-SMI 535.104.05             Driver Version: 535.104.05   CUDA Version: 12.2     |
|-----------------------------------------+----------------------+----------------------+
"""

NVCC = """\
nvcc: NVIDIA (R) Cuda compiler driver
Copyright (c) 2005-2023 NVIDIA Corporation
Cuda compilation tools, release 12.2, V12.2.140
Build cuda_12.2.r12.2/compiler.33191640_0
"""

DF = """\
Filesystem        1-blocks        Used   Available Capacity Mounted on
/dev/nvme0n1p1 1056759873536 42949672960 960000000000       5% /
"""

OS_RELEASE = 'NAME="Ubuntu"\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\nID=ubuntu\n'


def script_output(**sections: str) -> str:
    return "".join(f"{MARKER}{name}\n{body}\n" for name, body in sections.items()) + f"{MARKER}end\n"


def test_multi_gpu_nvidia_smi() -> None:
    gpus = parse_nvidia_smi(EIGHT_GPUS)

    assert len(gpus) == 8
    assert gpus[0] == {"name": "NVIDIA A100-SXM4-80GB", "memory_mib": 81920, "driver": "535.104.05"}


def test_nvidia_smi_odd_whitespace_and_garbage_lines() -> None:
    text = "\n  Tesla T4 ,  15360 ,  470.57.02  \r\n\nNVIDIA-SMI has failed because it couldn't communicate\n"

    assert parse_nvidia_smi(text) == [{"name": "Tesla T4", "memory_mib": 15360, "driver": "470.57.02"}]


def test_nvidia_smi_name_with_a_comma() -> None:
    assert parse_nvidia_smi("Weird, GPU, 1024, 1.0")[0]["name"] == "Weird, GPU"


def test_cuda_from_each_source() -> None:
    assert parse_cuda_version(NVCC) == "12.2"
    assert parse_cuda_version(NVIDIA_SMI_HEADER) == "12.2"
    assert parse_cuda_version('{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}') == "12.4"
    assert parse_cuda_version("") is None
    assert parse_cuda_version("{not json") is None


def test_docker_version() -> None:
    assert parse_docker_version("Docker version 24.0.7, build afdd53b\n") == "24.0.7"
    assert parse_docker_version("sh: docker: not found") is None


@pytest.mark.parametrize(
    ("cpuinfo", "vendor"),
    [
        ("vendor_id\t: GenuineIntel", "INTEL"),
        ("vendor_id\t: AuthenticAMD", "AMD"),
        ("CPU implementer\t: 0x41", "UNKNOWN"),
    ],
)
def test_cpu_vendor(cpuinfo: str, vendor: str) -> None:
    assert parse_cpu_vendor(cpuinfo) == vendor


def test_cpu_arch() -> None:
    assert parse_cpu_arch("x86_64\n") == "X86_64"
    assert parse_cpu_arch(" aarch64") == "AARCH64"
    assert parse_cpu_arch("riscv64") == "UNKNOWN"


def test_memory_storage_os() -> None:
    assert parse_memory_gb("MemTotal:       16303412 kB") == 16
    assert parse_memory_gb("") is None
    assert parse_storage_gb(DF) == 984
    assert parse_storage_gb("df: /: No such file") is None
    assert parse_os_release(OS_RELEASE) == "Ubuntu 22.04.4 LTS"
    assert parse_os_release("PRETTY_NAME='Debian GNU/Linux 12 (bookworm)'") == "Debian GNU/Linux 12 (bookworm)"


def test_full_gpu_node() -> None:
    output = script_output(
        uname_m="x86_64",
        uname_r="5.15.0-105-generic",
        nproc="  64 ",
        cpuinfo="vendor_id\t: AuthenticAMD",
        meminfo="MemTotal:       528280000 kB",
        df=DF,
        os_release=OS_RELEASE,
        nvidia_smi=EIGHT_GPUS,
        cuda=NVCC,
        amd="",
        docker="Docker version 24.0.7, build afdd53b",
    )

    hardware, software, system, warnings = build_facts(split_sections(output))

    assert hardware == {
        "gpu_count": 8,
        "gpu_vendor": "NVIDIA",
        "gpu_type": "NVIDIA A100-SXM4-80GB",
        "gpu_memory": 81920,
        "cpu_cores": 64,
        "memory_gb": 504,
        "storage_gb": 984,
        "cpu_vendor": "AMD",
        "cpu_arch": "X86_64",
    }
    assert software == {"nvidia": "535.104.05", "cuda": "12.2", "docker": "24.0.7"}
    assert system == {"os": "Ubuntu 22.04.4 LTS", "kernel": "5.15.0-105-generic"}
    assert warnings == ["CUDA 12.2 is already installed", "Docker 24.0.7 is already installed"]


def test_bare_node_without_tools() -> None:
    output = script_output(uname_m="aarch64", nproc="4", nvidia_smi="", cuda="", docker="", amd="")

    hardware, software, system, warnings = build_facts(split_sections(output))

    assert hardware == {"gpu_count": 0, "cpu_cores": 4, "cpu_vendor": "UNKNOWN", "cpu_arch": "AARCH64"}
    assert software == {}
    assert system == {}
    assert warnings == []


def test_script_marks_every_probe_and_reads_no_stdin() -> None:
    script = inspection_script()

    assert script.startswith("exec </dev/null")
    assert script.count(MARKER) == 12


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("10.0.0.5:22", ("10.0.0.5", 22)),
        ("node.example.com", ("node.example.com", 22)),
        ("[::1]:2222", ("::1", 2222)),
        ("[fe80::1]", ("fe80::1", 22)),
        ("::1", ("::1", 22)),
    ],
)
def test_endpoint(endpoint: str, expected: tuple[str, int]) -> None:
    assert parse_endpoint(endpoint) == expected


@pytest.mark.parametrize("endpoint", ["", "host:", "host:0", "host:70000", "host:ssh", "[::1", "a:b:c", "[]:22"])
def test_bad_endpoint_is_permanent(endpoint: str) -> None:
    with pytest.raises(DiscoveryError) as failure:
        parse_endpoint(endpoint)
    assert failure.value.permanent


@given(st.text())
def test_parsers_never_raise_on_arbitrary_output(text: str) -> None:
    build_facts(split_sections(text))
    build_facts({name: text for name in ("nvidia_smi", "cuda", "df", "meminfo", "nproc", "os_release", "docker")})
