"""Wire models of the pool's offers."""

from datetime import datetime
from typing import Literal

from nodeplane.pool.models import CloudProvider, CpuArch, CpuVendor, Currency, GpuVendor, PriceType, PricingUnit, Reply


class Offer(Reply):
    id: str
    instance_id: str
    instance_type: str
    cloud_provider: CloudProvider
    gpu_count: int
    gpu_memory_mib: int
    total_gpu_memory_mib: int
    gpu_type: str
    gpu_vendor: GpuVendor
    main_memory_mib: int
    cpu_vendor: CpuVendor
    cpu_arch: CpuArch
    num_vcpus: int
    effective_time: datetime | None = None
    scrape_time: datetime
    pricing_unit: PricingUnit
    price: float | None = None
    currency: Currency
    price_type: PriceType
    hourly_cost: float | None = None
    location: str
    region: str
    availability_zone: str


class OffersListResponse(Reply):
    offers: list[Offer]
    total: int
    next_cursor: str | None = None
    prev_cursor: str | None = None


class GpuTypeInfo(Reply):
    gpu_type: str
    gpu_vendor: GpuVendor


class OfferMetadataResponse(Reply):
    gpu_types: list[GpuTypeInfo]
    gpu_vendors: list[GpuVendor]
    cloud_providers: list[CloudProvider]
    regions: list[str]
    availability_zones: list[str]
    locations: list[str]
    cpu_vendors: list[CpuVendor]
    cpu_architectures: list[Literal["X86_64", "AARCH64", "ARM64", "UNKNOWN"]]
    pricing_units: list[PricingUnit]
    price_types: list[PriceType]
    currencies: list[Currency]
    gpu_count_min: int
    gpu_count_max: int
    gpu_memory_mib_min: int
    gpu_memory_mib_max: int
    total_gpu_memory_mib_min: int
    total_gpu_memory_mib_max: int
    main_memory_mib_min: int
    main_memory_mib_max: int
    num_vcpus_min: int
    num_vcpus_max: int
    price_min: float
    price_max: float
    hourly_cost_min: float
    hourly_cost_max: float
