"""The networks of level/vae and level/conditional: the unframed tile VAE (a spatial latent
grid, conditions as constant maps) and the framed one (``framed.py``'s encoder and decoder,
a level latent, conditions beside it)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from procgen.generators.learned.levels.framed import FramedDecoder, FramedEncoder

__all__ = ["Encoder", "Decoder", "TileVAE", "FramedTileVAE", "conditioned"]


def conditioned(x: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
    """``x`` (B, C, h, w) with condition values (B, K) appended as K constant maps."""
    if condition is None or condition.shape[1] == 0:
        return x
    b, _, h, w = x.shape
    return torch.cat([x, condition[:, :, None, None].expand(b, condition.shape[1], h, w)], dim=1)


class ResBlock(nn.Module):
    """x + conv(silu(conv(silu(x)))): two 3 x 3 convolutions that keep the shape."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.first = nn.Conv2d(channels, channels, 3, padding=1)
        self.second = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.second(F.silu(self.first(F.silu(x))))


class Encoder(nn.Module):
    """q(z | x[, c]): one-hot tiles (B, T, H, W) -> mean and log sd (B, Cz, ceil(H/4), ceil(W/4))."""

    def __init__(self, tiles: int, conditions: int, channels: int, latent: int) -> None:
        super().__init__()
        wide = 2 * channels
        self.stem = nn.Conv2d(tiles + conditions, channels, 3, padding=1)
        self.full_res = ResBlock(channels)
        self.down_half = nn.Conv2d(channels, wide, 3, stride=2, padding=1)  # ceil(n / 2)
        self.half_res = ResBlock(wide)
        self.down_quarter = nn.Conv2d(wide, wide, 3, stride=2, padding=1)
        self.quarter_res = ResBlock(wide)
        self.head = nn.Conv2d(wide, 2 * latent, 1)

    def forward(self, one_hot: torch.Tensor, condition: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.full_res(self.stem(conditioned(one_hot, condition)))  # (B, C, H, W)
        h = self.half_res(self.down_half(F.silu(h)))  # (B, 2C, H/2, W/2)
        h = self.quarter_res(self.down_quarter(F.silu(h)))  # (B, 2C, H/4, W/4)
        mu, log_sd = self.head(F.silu(h)).chunk(2, dim=1)  # (B, Cz, H/4, W/4) each
        return mu, log_sd.clamp(-9.0, 4.0)  # keeps exp() finite early in training


class Decoder(nn.Module):
    """p(x | z[, c]): codes (B, Cz, h, w) -> tile logits (B, T, 4h, 4w)."""

    def __init__(self, tiles: int, conditions: int, channels: int, latent: int) -> None:
        super().__init__()
        wide = 2 * channels
        self.stem = nn.Conv2d(latent + conditions, wide, 3, padding=1)
        self.quarter_res = nn.Sequential(ResBlock(wide), ResBlock(wide))
        self.up_half = nn.Conv2d(wide + conditions, wide, 3, padding=1)
        self.half_res = ResBlock(wide)
        self.up_full = nn.Conv2d(wide + conditions, channels, 3, padding=1)
        self.full_res = ResBlock(channels)
        self.head = nn.Conv2d(channels, tiles, 1)

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        h = self.quarter_res(self.stem(conditioned(z, condition)))  # (B, 2C, h, w)
        h = F.interpolate(F.silu(h), scale_factor=2, mode="nearest")  # (B, 2C, 2h, 2w)
        h = self.half_res(self.up_half(conditioned(h, condition)))
        h = F.interpolate(F.silu(h), scale_factor=2, mode="nearest")  # (B, 2C, 4h, 4w)
        h = self.full_res(self.up_full(conditioned(h, condition)))  # (B, C, 4h, 4w)
        return self.head(F.silu(h))  # (B, T, 4h, 4w)


class TileVAE(nn.Module):
    """The encoder and decoder of one (conditional, when ``conditions`` > 0) tile VAE."""

    def __init__(self, tiles: int, conditions: int, channels: int, latent: int) -> None:
        super().__init__()
        self.encoder = Encoder(tiles, conditions, channels, latent)
        self.decoder = Decoder(tiles, conditions, channels, latent)


class FramedTileVAE(nn.Module):
    """The encoder and decoder of the framed tile VAE (``framed.py``). A conditional one
    (``conditions`` > 0) gives the decoder the condition beside the level latent, one level
    vector (G + K); the encoder reads the window alone, whose condition is its own tag shares."""

    def __init__(self, tiles: int, channels: int, latent: int, level_latent: int, conditions: int = 0) -> None:
        super().__init__()
        self.encoder = FramedEncoder(tiles, channels, latent, level_latent)
        self.decoder = FramedDecoder(tiles, channels, latent, level_latent + conditions)
