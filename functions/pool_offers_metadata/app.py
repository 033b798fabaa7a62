"""GET /v1/offers/metadata: the values each offer filter can take."""

from nodeplane.api import handler, http_resolver, problems
from nodeplane.pool import offers
from nodeplane.pool.models.offers import OfferMetadataResponse

app = http_resolver()


@app.get("/v1/offers/metadata", summary="Offer filter metadata", tags=["offers"], responses=problems(400))
def offers_metadata() -> OfferMetadataResponse:
    return OfferMetadataResponse.model_validate(offers.metadata())


lambda_handler = handler(app)
