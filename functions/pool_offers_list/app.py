"""GET /v1/offers: browse GPU offers."""

from typing import Annotated

from nodeplane.api import handler, http_resolver, problems
from nodeplane.pool import offers
from nodeplane.pool.models import COUNT_MAX, PRICE_MAX, CloudProvider, CpuArch, CpuVendor, GpuVendor, PriceType
from nodeplane.pool.models.offers import OffersListResponse

from aws_lambda_powertools.event_handler.openapi.params import Query

app = http_resolver()


@app.get("/v1/offers", summary="List GPU offers", tags=["offers"], responses=problems(400, 422))
def list_offers(
    cloud_provider: Annotated[CloudProvider | None, Query()] = None,
    provider: Annotated[str | None, Query(max_length=32, description="alias of cloud_provider")] = None,
    gpu_vendor: Annotated[GpuVendor | None, Query()] = None,
    gpu_type: Annotated[str | None, Query(max_length=64)] = None,
    gpu_types: Annotated[list[str] | None, Query(max_length=50)] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    availability_zone: Annotated[str | None, Query(max_length=64)] = None,
    location: Annotated[str | None, Query(max_length=128)] = None,
    search: Annotated[str | None, Query(max_length=128)] = None,
    cpu_vendor: Annotated[CpuVendor | None, Query()] = None,
    cpu_arch: Annotated[CpuArch | None, Query()] = None,
    price_type: Annotated[PriceType | None, Query()] = None,
    pricing_unit: Annotated[str | None, Query(max_length=16)] = None,
    gpu_count: Annotated[int | None, Query(ge=0, le=COUNT_MAX, description="minimum GPU count")] = None,
    gpu_count_min: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    gpu_count_max: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    gpu_memory_min: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    gpu_memory_max: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    total_gpu_memory_min: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    total_gpu_memory_max: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    main_memory_min: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    main_memory_max: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    vcpus_min: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    vcpus_max: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    price_min: Annotated[float | None, Query(ge=0, le=PRICE_MAX)] = None,
    price_max: Annotated[float | None, Query(ge=0, le=PRICE_MAX)] = None,
    price: Annotated[float | None, Query(ge=0, le=PRICE_MAX, description="alias of price_max")] = None,
    non_gpu_instances: Annotated[bool | None, Query()] = None,
    sort_order: Annotated[str | None, Query(pattern="^(?i)(asc|desc)$")] = None,
    sort_by: Annotated[str | None, Query(max_length=32)] = None,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> OffersListResponse:
    flt = offers.OfferFilter(
        cloud_provider=cloud_provider or provider,
        gpu_vendor=gpu_vendor,
        gpu_type=gpu_type,
        gpu_types=gpu_types,
        region=region,
        availability_zone=availability_zone,
        location=location,
        search=search,
        cpu_vendor=cpu_vendor,
        cpu_arch=cpu_arch,
        price_type=price_type,
        pricing_unit=pricing_unit,
        gpu_count_min=gpu_count_min if gpu_count_min is not None else gpu_count,
        gpu_count_max=gpu_count_max,
        gpu_memory_min=gpu_memory_min,
        gpu_memory_max=gpu_memory_max,
        total_gpu_memory_min=total_gpu_memory_min,
        total_gpu_memory_max=total_gpu_memory_max,
        main_memory_min=main_memory_min,
        main_memory_max=main_memory_max,
        vcpus_min=vcpus_min,
        vcpus_max=vcpus_max,
        price_min=price_min,
        price_max=price_max if price_max is not None else price,
        non_gpu_instances=non_gpu_instances,
    )
    page, total, next_cursor = offers.list_offers(
        flt, page_size=limit or page_size, cursor=cursor, descending=(sort_order or "asc").lower() == "desc"
    )
    return OffersListResponse.model_validate({"offers": page, "total": total, "next_cursor": next_cursor})


lambda_handler = handler(app)
