"""Longitude and latitude to kilometres, locally: enough to read turning angles off a river."""

from __future__ import annotations

import numpy as np

__all__ = ["EARTH_RADIUS_KM", "project_km"]

EARTH_RADIUS_KM = 6371.0


def project_km(lonlat: np.ndarray) -> np.ndarray:
    """(N, 2) kilometres east and north of the first point of (N, 2) lon, lat degrees.

    Dead reckoning: each segment is mapped by the equirectangular projection centred on
    its own mid-latitude (east = R cos(lat_mid) dlon, north = R dlat, R = 6371 km) and the
    steps are summed. One projection centred on the river's mean latitude would stretch
    east-west distances by up to 2x at the ends of a river spanning 50-73 degrees north
    (cos 50 / cos 73); this keeps every few-km segment's length and bearing to well under
    0.1%, which is what turning angles at a fixed step need. Longitude steps wrap, so a
    river may cross the 180 degree meridian.
    """
    lon, lat = np.deg2rad(lonlat[:, 0]), np.deg2rad(lonlat[:, 1])
    dlon = np.mod(np.diff(lon) + np.pi, 2 * np.pi) - np.pi  # (N-1,)
    mid = (lat[1:] + lat[:-1]) / 2  # (N-1,)
    steps = EARTH_RADIUS_KM * np.stack([np.cos(mid) * dlon, np.diff(lat)], axis=1)  # (N-1, 2)
    return np.concatenate([np.zeros((1, 2)), np.cumsum(steps, axis=0)])
