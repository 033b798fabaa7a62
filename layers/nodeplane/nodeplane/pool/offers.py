"""GPU offers: the catalogue in DynamoDB (sorted by hourly cost), its filters and its metadata."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nodeplane import store
from nodeplane.errors import BadRequest, NotFound
from nodeplane.pool import items
from nodeplane.pool.catalogue import SOURCES, OfferSource

# The catalogue is bounded by the sources, not by users; a listing reads at most this many offers.
MAX_SCAN_PAGES = 5
PAGE_READ = 200


def refresh(sources: list[OfferSource] | None = None) -> int:
    """Load every source's offers and rebuild the metadata item. Returns the number of offers."""
    offers = [o for source in (sources or SOURCES) for o in source.fetch()]
    batch: list[store.Op] = []
    for offer in offers:
        item = {
            "pk": items.offer_pk(offer["id"]),
            "sk": items.OFFER,
            "entity": "offer",
            **offer,
            "gsi1pk": items.OFFERS,
            "gsi1sk": items.offer_price_sk(offer["hourly_cost"] or 0, offer["id"]),
        }
        batch.append(store.put(item))
        if len(batch) == 25:
            store.transact(batch)
            batch = []
    if batch:
        store.transact(batch)
    store.transact(
        [store.put({"pk": items.OFFERS, "sk": items.META, "metadata": metadata_of(offers), "count": len(offers)})]
    )
    return len(offers)


def metadata_of(offers: list[dict[str, Any]]) -> dict[str, Any]:
    def span(field: str) -> tuple[Any, Any]:
        values = [o[field] for o in offers if o.get(field) is not None]
        return (min(values), max(values)) if values else (0, 0)

    meta: dict[str, Any] = {
        "gpu_types": sorted({(o["gpu_type"], o["gpu_vendor"]) for o in offers}),
        "gpu_vendors": sorted({o["gpu_vendor"] for o in offers}),
        "cloud_providers": sorted({o["cloud_provider"] for o in offers}),
        "regions": sorted({o["region"] for o in offers}),
        "availability_zones": sorted({o["availability_zone"] for o in offers}),
        "locations": sorted({o["location"] for o in offers}),
        "cpu_vendors": sorted({o["cpu_vendor"] for o in offers}),
        "cpu_architectures": sorted({o["cpu_arch"] for o in offers}),
        "pricing_units": sorted({o["pricing_unit"] for o in offers}),
        "price_types": sorted({o["price_type"] for o in offers}),
        "currencies": sorted({o["currency"] for o in offers}),
    }
    meta["gpu_types"] = [{"gpu_type": t, "gpu_vendor": v} for t, v in meta["gpu_types"]]
    for field, name in (
        ("gpu_count", "gpu_count"),
        ("gpu_memory_mib", "gpu_memory_mib"),
        ("total_gpu_memory_mib", "total_gpu_memory_mib"),
        ("main_memory_mib", "main_memory_mib"),
        ("num_vcpus", "num_vcpus"),
        ("price", "price"),
        ("hourly_cost", "hourly_cost"),
    ):
        meta[f"{name}_min"], meta[f"{name}_max"] = span(field)
    return meta


def ensure_loaded() -> dict[str, Any]:
    """The metadata item; on a brand-new table the bundled catalogue is loaded first."""
    meta = store.get(items.OFFERS, items.META)
    if meta is None:
        refresh()
        meta = store.get(items.OFFERS, items.META)
    assert meta is not None
    return meta


def metadata() -> dict[str, Any]:
    return dict(ensure_loaded()["metadata"])


def get_offer(offer_id: str) -> dict[str, Any]:
    ensure_loaded()
    item = store.get(items.offer_pk(offer_id), items.OFFER)
    if not item:
        raise NotFound(f"offer {offer_id} not found")
    return item


@dataclass
class OfferFilter:
    cloud_provider: str | None = None
    gpu_vendor: str | None = None
    gpu_type: str | None = None
    gpu_types: list[str] | None = None
    region: str | None = None
    availability_zone: str | None = None
    location: str | None = None
    cpu_vendor: str | None = None
    cpu_arch: str | None = None
    price_type: str | None = None
    pricing_unit: str | None = None
    search: str | None = None
    gpu_count_min: int | None = None
    gpu_count_max: int | None = None
    gpu_memory_min: int | None = None
    gpu_memory_max: int | None = None
    total_gpu_memory_min: int | None = None
    total_gpu_memory_max: int | None = None
    main_memory_min: int | None = None
    main_memory_max: int | None = None
    vcpus_min: int | None = None
    vcpus_max: int | None = None
    price_min: float | None = None
    price_max: float | None = None
    non_gpu_instances: bool | None = None

    def matches(self, o: dict[str, Any]) -> bool:
        def eq(value: str | None, field: str) -> bool:
            return value is None or str(o.get(field, "")).lower() == value.lower()

        def within(low: float | None, high: float | None, field: str) -> bool:
            v = o.get(field) or 0
            return (low is None or v >= low) and (high is None or v <= high)

        if self.gpu_types and o["gpu_type"].lower() not in {t.lower() for t in self.gpu_types}:
            return False
        if self.non_gpu_instances is False and o["gpu_count"] == 0:
            return False
        if (
            self.search
            and self.search.lower()
            not in " ".join(
                str(o.get(f, "")) for f in ("instance_type", "gpu_type", "cloud_provider", "region", "location")
            ).lower()
        ):
            return False
        return (
            eq(self.cloud_provider, "cloud_provider")
            and eq(self.gpu_vendor, "gpu_vendor")
            and eq(self.gpu_type, "gpu_type")
            and eq(self.region, "region")
            and eq(self.availability_zone, "availability_zone")
            and eq(self.location, "location")
            and eq(self.cpu_vendor, "cpu_vendor")
            and eq(self.cpu_arch, "cpu_arch")
            and eq(self.price_type, "price_type")
            and eq(self.pricing_unit, "pricing_unit")
            and within(self.gpu_count_min, self.gpu_count_max, "gpu_count")
            and within(self.gpu_memory_min, self.gpu_memory_max, "gpu_memory_mib")
            and within(self.total_gpu_memory_min, self.total_gpu_memory_max, "total_gpu_memory_mib")
            and within(self.main_memory_min, self.main_memory_max, "main_memory_mib")
            and within(self.vcpus_min, self.vcpus_max, "num_vcpus")
        )


def list_offers(
    flt: OfferFilter, *, page_size: int, cursor: str | None, descending: bool
) -> tuple[list[dict[str, Any]], int, str | None]:
    """Offers sorted by hourly cost; the price range is the key condition, the rest filters a bounded read."""
    if flt.price_min is not None and flt.price_max is not None and flt.price_min > flt.price_max:
        raise BadRequest("price_min is greater than price_max")
    ensure_loaded()
    low = items.offer_price(flt.price_min or 0)
    high = items.offer_price(flt.price_max) + "~" if flt.price_max is not None else "~"
    matched: list[dict[str, Any]] = []
    page_cursor: str | None = None
    for _ in range(MAX_SCAN_PAGES):
        read, page_cursor = store.query(
            "gsi1pk",
            items.OFFERS,
            sk_name="gsi1sk",
            sk_between=(low, high),
            index="gsi1",
            limit=PAGE_READ,
            cursor=page_cursor,
            forward=not descending,
        )
        matched.extend(i for i in read if flt.matches(i))
        if not page_cursor:
            break
    start = _offset(cursor)
    page = matched[start : start + page_size]
    next_cursor = str(start + page_size) if start + page_size < len(matched) else None
    strip = ("pk", "sk", "entity", "gsi1pk", "gsi1sk")
    return [{k: v for k, v in o.items() if k not in strip} for o in page], len(matched), next_cursor


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit():
        raise BadRequest("cursor is not a cursor returned by this API")
    return int(cursor)
