"""The demo campus: the Institute's buildings and rooms as data, and its loader."""
