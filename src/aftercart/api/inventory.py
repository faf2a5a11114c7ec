"""The store's stock per SKU (or product variant): what decides whether an exchange for another
variant is offered. A feed sends the figures it has, in batches; the last figure for an item wins."""

from __future__ import annotations

from ninja import Field, Router, Schema
from pydantic import ConfigDict, model_validator

from aftercart.returns.services.stock import StockItem, stock_set
from aftercart.stores.http import StoreRequest

router = Router(tags=["inventory"])


class StockIn(Schema):
    """One item's units available: by ``sku``, or by ``product_id`` + ``variant``."""

    # The rule of ``_named``, in the document: a schema-valid item names itself.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["sku"], "properties": {"sku": {"type": "string", "minLength": 1}}},
                {
                    "required": ["product_id"],
                    "properties": {"product_id": {"type": "string", "minLength": 1}},
                },
            ]
        }
    )

    sku: str = Field("", max_length=128)
    product_id: str = Field("", max_length=128)
    variant: str = Field("", max_length=200)
    available: int = Field(..., ge=-1_000_000, le=100_000_000)

    @model_validator(mode="after")
    def _named(self) -> StockIn:
        if not self.sku and not self.product_id:
            raise ValueError("name the item by sku, or by product_id (and variant)")
        return self


class InventoryIn(Schema):
    items: list[StockIn] = Field(..., min_length=1, max_length=1000)


class InventoryOut(Schema):
    updated: int


@router.put("", response=InventoryOut, summary="Set stock levels (batched)")
def put_inventory(request: StoreRequest, payload: InventoryIn) -> dict[str, int]:
    """Sets each item's available units. Exchanges for another variant are offered (and accepted)
    only when the replacement is in stock; items never sent here are taken to be available."""
    items = [
        StockItem(available=i.available, sku=i.sku, product_id=i.product_id, variant=i.variant)
        for i in payload.items
    ]
    return {"updated": stock_set(store=request.store, items=items)}
