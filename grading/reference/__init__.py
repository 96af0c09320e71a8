"""Trusted reference implementations used by the judges.

These modules run on the trusted side only: they are never mounted into the sandbox, so a
submission can neither read them nor import them. They are written as plain numpy maths
on the weights the judge handed to the learner's module (float64), so any weight layout the
book uses maps in and the tolerance covers only the learner's float32 rounding.
"""
