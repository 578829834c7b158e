"""Pieces the eleventh held-out split shares: the check that a classifier stays poor, and the
check of a healthy classifier twin. Not a scenario module (it registers nothing, and
`benchmarks.accuracy` does not import it as one).
"""

from benchmarks.accuracy import heldout9_parts, measure

# Digits and the two-class tables reach 0.9 or more when trained well.
GOOD_ACCURACY = 0.9


def less_accurate_than(share):
    """A check: the model, as it is after `fit`, classifies fewer than `share` of the validation
    rows right (`heldout9_parts.validation_accuracy`)."""
    def verify(trained):
        accuracy = heldout9_parts.validation_accuracy(trained)
        return accuracy < share, f"validation accuracy {accuracy:.3f}"
    return verify


def accurate_and_generalizes(share=GOOD_ACCURACY):
    """A healthy classifier twin: at least `share` validation accuracy and no overfitting
    (`measure.generalizes`)."""
    return measure.all_of(heldout9_parts.at_least_accurate(share), measure.generalizes())
