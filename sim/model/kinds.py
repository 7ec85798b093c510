"""The kinds of recruiter, as row labels shared by every submodel.

``FEE_CHARGING``: no label (or a placebo label: placebo holders keep this
kind for all they do); ``CERTIFIED``: follows the Employer Pays Principle
under the real label (and, in perception, any noticed label holder);
``PUBLIC``: the government-to-government channel.
"""

FEE_CHARGING, CERTIFIED, PUBLIC = 0, 1, 2
