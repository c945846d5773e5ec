"""The classroom: seeded exercise variants of a spec template with nice numbers, and their exports.

`variants.generate` draws the variants (`draw` the numbers, `constraints` what a variant must
meet), `answer_key` holds every quantity's right value and each common mistake's value, and
`moodle`, `qti`, `prairielearn` and `gradescope` write the learning platforms' formats; `grader`
is the stand-alone grading code the PrairieLearn and Gradescope exports carry.
"""
