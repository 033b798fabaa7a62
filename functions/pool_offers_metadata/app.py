"""GET /v1/offers/metadata: the values each offer filter can take."""

from nodeplane.api import documented, handler, http_resolver
from nodeplane.pool import offers
from nodeplane.pool.models.offers import OfferMetadataResponse

app = http_resolver()


@app.get(
    "/v1/offers/metadata",
    summary="Offer filter metadata",
    tags=["offers"],
    description=__doc__,
    responses=documented("problem", 200, "The values each offer filter can take", 400),
)
def offers_metadata() -> OfferMetadataResponse:
    return OfferMetadataResponse.model_validate(offers.metadata())


lambda_handler = handler(app)
