"""Where parcels start and end: countries, areas (states, provinces) and the regions between them."""

from __future__ import annotations

from dataclasses import dataclass

#: Brazil's five macro-regions: the natural level between a state-to-state lane and the country.
BR_REGIONS: dict[str, str] = {
    **dict.fromkeys(("AC", "AP", "AM", "PA", "RO", "RR", "TO"), "North"),
    **dict.fromkeys(("AL", "BA", "CE", "MA", "PB", "PE", "PI", "RN", "SE"), "Northeast"),
    **dict.fromkeys(("DF", "GO", "MT", "MS"), "Centre-West"),
    **dict.fromkeys(("ES", "MG", "RJ", "SP"), "Southeast"),
    **dict.fromkeys(("PR", "RS", "SC"), "South"),
}

#: Region tables by country; a place in a country not listed here has its country as its region.
REGIONS: dict[str, dict[str, str]] = {"BR": BR_REGIONS}


def region_of(country: str, area: str) -> str:
    """The region an area (state, province) belongs to; the country itself when unknown."""
    return REGIONS.get(country, {}).get(area, country)


@dataclass(frozen=True, slots=True)
class GeoArea:
    """Where a parcel starts or ends: ISO country, area (state/province) and optional region."""

    country: str
    area: str = ""
    region: str = ""

    @property
    def zone(self) -> str:
        """The region used by the ``region`` backoff level."""
        return self.region or region_of(self.country, self.area)

    @property
    def label(self) -> str:
        """How an explanation names the place."""
        return self.area or self.country
