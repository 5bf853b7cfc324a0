import numpy as np
import pytest

from .arm import Arm
from .camera import OverheadCamera


@pytest.fixture(scope="module")
def camera():
    cam = OverheadCamera(Arm([0.0, 0.0]).model, 640, 480)
    yield cam
    cam.close()


def red_centroid(rgb):
    """Pixel centre (x, y) of the red tool sphere."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    ys, xs = np.nonzero((r > 150) & (g < 80) & (b < 80))
    assert len(xs) > 20, "the tool is in view"
    return xs.mean(), ys.mean()


def test_frame_is_rgb_of_the_configured_size(camera):
    rgb = camera.render([0.0, 0.0])
    assert rgb.shape == (480, 640, 3)
    assert rgb.dtype == np.uint8
    assert 60 < rgb.mean() < 250, "lit floor, not a black or blank frame"


def test_tool_moves_with_the_joints(camera):
    # Stretched along +x the tool is right of centre; turned by +90° at the
    # shoulder it is along +y, which the camera shows as up.
    x0, y0 = red_centroid(camera.render([0.0, 0.0]))
    x1, y1 = red_centroid(camera.render([np.pi / 2, 0.0]))
    assert x0 > 320 + 100 and abs(y0 - 240) < 20
    assert abs(x1 - 320) < 20 and y1 < 240 - 100  # image up is +y


def test_other_sizes(camera):
    small = OverheadCamera(Arm([0.0, 0.0]).model, 160, 120)
    try:
        assert small.render([0.3, -0.3]).shape == (120, 160, 3)
    finally:
        small.close()
    with pytest.raises(ValueError, match="not within"):
        OverheadCamera(Arm([0.0, 0.0]).model, 0, 10)
