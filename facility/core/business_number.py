"""The Korean business registration number (사업자등록번호): ten digits whose last is a check digit.

The National Tax Service's rule: weights 1,3,7,1,3,7,1,3,5 over the first nine digits, plus the
tens of the ninth digit times five; the check digit makes the sum a multiple of ten. A typo in one
digit (and most swaps) fails it, so a wrong number is refused at the form, not on a tax invoice.
"""

from __future__ import annotations

import re

WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
PATTERN = re.compile(r"^\d{3}-?\d{2}-?\d{5}$")


def check_digit(first_nine: str) -> int:
    """The tenth digit that makes `first_nine` a valid number."""
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True)) + digits[8] * 5 // 10
    return (10 - total % 10) % 10


def is_valid(number: str) -> bool:
    """Ten digits (dashes allowed where the usual form has them) with a right check digit."""
    number = number.strip()
    if not PATTERN.match(number):
        return False
    digits = number.replace("-", "")
    return check_digit(digits[:9]) == int(digits[9])


def formatted(number: str) -> str:
    """The usual form, 123-45-67891."""
    digits = number.strip().replace("-", "")
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
