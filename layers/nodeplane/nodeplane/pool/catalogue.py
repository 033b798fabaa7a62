"""Where offers come from: a provider-adapter interface and the bundled catalogue adapter.

The bundled catalogue lists real instance types with list prices (USD per hour, on-demand and spot)
per region; a deployment can add adapters for live provider APIs behind the same interface.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from nodeplane import clock


class OfferSource(Protocol):
    name: str

    def fetch(self) -> list[dict[str, Any]]:
        """Every offer the source currently has, as Offer wire dicts (``id`` stable across refreshes)."""
        ...


# provider, instance type, gpu type, vendor, gpus, gpu MiB, vcpus, cpu vendor, arch, RAM GiB, on-demand $/h,
# spot $/h (or None), [(region, location, availability zone), ...]
_AWS = [
    ("us-east-1", "US, Virginia", "us-east-1a"),
    ("us-west-2", "US, Oregon", "us-west-2b"),
    ("eu-central-1", "Germany, Frankfurt", "eu-central-1a"),
]
_GCP = [
    ("us-central1", "US, Iowa", "us-central1-a"),
    ("europe-west4", "Netherlands", "europe-west4-b"),
    ("asia-southeast1", "Singapore", "asia-southeast1-c"),
]
_AZURE = [("eastus", "US, Virginia", "eastus-1"), ("westeurope", "Netherlands", "westeurope-2")]
_LAMBDA = [("us-east-1", "US, Virginia", "us-east-1"), ("us-west-1", "US, California", "us-west-1")]
_NEBIUS = [("eu-north1", "Finland", "eu-north1-a")]
_VAST = [("US", "US", "US-any"), ("EU", "Europe", "EU-any")]
_OCI = [("us-ashburn-1", "US, Virginia", "AD-1")]

_TYPES: list[tuple[Any, ...]] = [
    ("AWS", "p5.48xlarge", "H100", "NVIDIA", 8, 81559, 192, "AMD", "X86_64", 2048, 98.32, 39.33, _AWS),
    ("AWS", "p4d.24xlarge", "A100", "NVIDIA", 8, 40960, 96, "INTEL", "X86_64", 1152, 32.77, 11.57, _AWS),
    ("AWS", "g5.xlarge", "A10G", "NVIDIA", 1, 23028, 4, "AMD", "X86_64", 16, 1.006, 0.402, _AWS),
    ("AWS", "g5.12xlarge", "A10G", "NVIDIA", 4, 23028, 48, "AMD", "X86_64", 192, 5.672, 2.269, _AWS),
    ("AWS", "g6.xlarge", "L4", "NVIDIA", 1, 23034, 4, "AMD", "X86_64", 16, 0.805, 0.322, _AWS),
    ("AWS", "g5g.xlarge", "T4G", "NVIDIA", 1, 15360, 4, "UNKNOWN", "AARCH64", 8, 0.42, 0.168, _AWS[:1]),
    ("AWS", "inf2.xlarge", "Inferentia2", "AWS", 1, 32768, 4, "AMD", "X86_64", 16, 0.758, None, _AWS[:2]),
    ("GCP", "a3-highgpu-8g", "H100", "NVIDIA", 8, 81559, 208, "INTEL", "X86_64", 1872, 88.25, 26.47, _GCP),
    ("GCP", "a2-highgpu-1g", "A100", "NVIDIA", 1, 40960, 12, "INTEL", "X86_64", 85, 3.67, 1.1, _GCP),
    ("GCP", "g2-standard-4", "L4", "NVIDIA", 1, 23034, 4, "INTEL", "X86_64", 16, 0.71, 0.224, _GCP),
    (
        "GCP",
        "ct5lp-hightpu-4t",
        "TPU v5e",
        "GOOGLE",
        4,
        16384,
        112,
        "AMD",
        "X86_64",
        192,
        4.8,
        2.16,
        _GCP[:2],
    ),
    (
        "AZURE",
        "Standard_ND96isr_H100_v5",
        "H100",
        "NVIDIA",
        8,
        81559,
        96,
        "INTEL",
        "X86_64",
        1900,
        98.32,
        39.33,
        _AZURE,
    ),
    (
        "AZURE",
        "Standard_NC24ads_A100_v4",
        "A100",
        "NVIDIA",
        1,
        81920,
        24,
        "AMD",
        "X86_64",
        220,
        3.673,
        1.469,
        _AZURE,
    ),
    ("AZURE", "Standard_NC4as_T4_v3", "T4", "NVIDIA", 1, 15360, 4, "AMD", "X86_64", 28, 0.526, 0.21, _AZURE),
    (
        "AZURE",
        "Standard_ND96isr_MI300X_v5",
        "MI300X",
        "AMD",
        8,
        196608,
        96,
        "INTEL",
        "X86_64",
        1850,
        48.0,
        None,
        _AZURE[:1],
    ),
    (
        "LAMBDA",
        "gpu_8x_h100_sxm5",
        "H100",
        "NVIDIA",
        8,
        81559,
        208,
        "INTEL",
        "X86_64",
        1800,
        23.92,
        None,
        _LAMBDA,
    ),
    (
        "LAMBDA",
        "gpu_1x_h100_pcie",
        "H100",
        "NVIDIA",
        1,
        81559,
        26,
        "INTEL",
        "X86_64",
        200,
        2.49,
        None,
        _LAMBDA,
    ),
    ("LAMBDA", "gpu_1x_a100_sxm4", "A100", "NVIDIA", 1, 40960, 30, "AMD", "X86_64", 200, 1.29, None, _LAMBDA),
    ("LAMBDA", "gpu_1x_a10", "A10", "NVIDIA", 1, 24576, 30, "INTEL", "X86_64", 200, 0.75, None, _LAMBDA),
    (
        "NEBIUS",
        "gpu-h200-sxm-8",
        "H200",
        "NVIDIA",
        8,
        143771,
        128,
        "INTEL",
        "X86_64",
        1600,
        27.2,
        12.0,
        _NEBIUS,
    ),
    ("NEBIUS", "gpu-h100-sxm-1", "H100", "NVIDIA", 1, 81559, 16, "INTEL", "X86_64", 200, 2.95, 1.5, _NEBIUS),
    ("NEBIUS", "gpu-l40s-1", "L40S", "NVIDIA", 1, 46068, 8, "AMD", "X86_64", 32, 1.55, None, _NEBIUS),
    ("VAST", "rtx4090.1x", "RTX 4090", "NVIDIA", 1, 24564, 16, "AMD", "X86_64", 64, 0.35, 0.2, _VAST),
    ("VAST", "rtx3090.2x", "RTX 3090", "NVIDIA", 2, 24576, 24, "INTEL", "X86_64", 96, 0.44, 0.26, _VAST),
    ("OCI", "BM.GPU.MI300X.8", "MI300X", "AMD", 8, 196608, 112, "INTEL", "X86_64", 2048, 48.0, None, _OCI),
    ("OCI", "VM.GPU.A10.1", "A10", "NVIDIA", 1, 24576, 15, "INTEL", "X86_64", 240, 2.0, None, _OCI),
]


def _offer_id(*parts: str) -> str:
    return "off-" + hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()


class BundledCatalogue:
    """The catalogue shipped with nodeplane: ~150 offers across 8 providers."""

    name = "bundled"

    def fetch(self) -> list[dict[str, Any]]:
        scraped = clock.iso()
        offers = []
        for (
            provider,
            itype,
            gpu,
            gvendor,
            count,
            mib,
            vcpus,
            cvendor,
            arch,
            ram,
            on_demand,
            spot,
            regions,
        ) in _TYPES:
            for region, location, zone in regions:
                for price_type, price in (("ON_DEMAND", on_demand), ("SPOT", spot)):
                    if price is None:
                        continue
                    offers.append(
                        {
                            "id": _offer_id(provider, itype, region, price_type),
                            "instance_id": f"{provider.lower()}:{region}:{itype}:{price_type.lower()}",
                            "instance_type": itype,
                            "cloud_provider": provider,
                            "gpu_count": count,
                            "gpu_memory_mib": mib,
                            "total_gpu_memory_mib": mib * count,
                            "gpu_type": gpu,
                            "gpu_vendor": gvendor,
                            "main_memory_mib": ram * 1024,
                            "cpu_vendor": cvendor,
                            "cpu_arch": arch,
                            "num_vcpus": vcpus,
                            "effective_time": scraped,
                            "scrape_time": scraped,
                            "pricing_unit": "HOURLY",
                            "price": price,
                            "currency": "USD",
                            "price_type": price_type,
                            "hourly_cost": price,
                            "location": location,
                            "region": region,
                            "availability_zone": zone,
                        }
                    )
        return offers


SOURCES: list[OfferSource] = [BundledCatalogue()]
