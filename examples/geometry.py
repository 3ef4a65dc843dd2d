"""Shapes and their measurements, written top-down: the holes mark what is left to do.

Run ``lift-lsp check examples/`` to list them. The file imports and runs: reaching
``hole("circumference")`` raises a HoleError that names the hole and its type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lift_holes import hole


@dataclass
class Point:
    x: float
    y: float

    def distance_to(self, other: Point) -> float:
        return math.hypot(self.x - other.x, self.y - other.y)


class Circle:
    def __init__(self, center: Point, radius: float) -> None:
        self.center = center
        self.radius = radius

    def area(self) -> float:
        r = self.radius
        return ...  # an expression hole of type float

    def circumference(self) -> float:
        return hole("circumference")  # a named hole: runnable, and it says what it wants

    def perimeter(self) -> float:
        return hole("circumference")  # the same named hole, used a second time

    def contains(self, p: Point) -> bool:
        """Whether ``p`` lies inside the circle or on its edge."""
        ...  # a body hole: the signature is the specification


def scaled(c: Circle, factor: float) -> Circle:
    return Circle(c.center, ...)  # typed by Circle.__init__: float


def farthest(points: list[Point], origin: Point) -> Point:
    best = max(points, key=lambda p: origin.distance_to(p))
    label: str = ...  # typed by its annotation
    print(label)
    return best


if __name__ == "__main__":
    c = Circle(Point(0, 0), 2.0)
    print("circle at", c.center, "radius", c.radius)
    print("circumference:", c.circumference())
