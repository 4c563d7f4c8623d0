"""Constants more than one function family splits into a high and a low part (hi + lo carries
about twice the working precision; hi is short enough that k * hi is exact where noted)."""
from __future__ import annotations


LOG2E = 1.4426950408889634
LN2 = 0.6931471805599453
LN2_TAIL = 2.3190468138462996e-17         # ln 2 - LN2
LN2_HI = 6.93147180369123816490e-01       # 32 significant bits: k * LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10
LN2_HI32 = 0.6931471824645996             # float32(ln 2)
LN2_LO32 = -1.9046542121259336e-09


PIO2_HI = 1.5707963267948966
PIO2_LO = 6.123233995736766e-17


TWO_OVER_PI = 0.6366197723675814
