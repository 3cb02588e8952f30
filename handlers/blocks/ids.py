"""Every Slack id zoomcal uses: callback ids, block ids, action ids. One place, no typos."""

COMMAND = "/zoomcal"

# The enable modal
ENABLE_VIEW = "zoomcal_enable"
THIRD_PARTY_BLOCK = "third_party"
THIRD_PARTY_ACTION = "third_party_on"
THIRD_PARTY_ON = "on"
SERVICE_BLOCK = "service"
SERVICE_ACTION = "service_choice"
AUTHORIZE_BLOCK = "authorize_with"
AUTHORIZE_ACTION = "authorize_with_choice"
SETUP_BLOCK = "setup_by"
SETUP_ACTION = "setup_by_choice"

# Which block shows the service's problem with a submitted field (Choices field → block id).
FIELD_BLOCKS = {
    "third_party": THIRD_PARTY_BLOCK,
    "service": SERVICE_BLOCK,
    "authorize_with": AUTHORIZE_BLOCK,
    "setup_by": SETUP_BLOCK,
}

# Messages
CONSENT_LINK_ACTION = "open_consent_link"

# Disable
DISABLE_ACTION = "disable_scope"

# One of several Zoom groups whose names fold together, picked by its id
GROUP_PICKED_ACTION = "pick_group"

# Next / Previous on status and groups listings, and on the Home tab
PAGE_PREVIOUS_ACTION = "page_previous"
PAGE_NEXT_ACTION = "page_next"
HOME_PAGE_PREVIOUS_ACTION = "home_page_previous"
HOME_PAGE_NEXT_ACTION = "home_page_next"

# Home tab buttons
HOME_ENABLE_ACTION = "home_enable"
HOME_DISABLE_ACTION = "home_disable"

# The configuration modal (`/zoomcal` with no text)
CONFIGURE_VIEW = "zoomcal_configure"
SCOPE_BLOCK = "scope"
SCOPE_ACTION = "scope_choice"
CONFIRM_DISABLE_VIEW = "zoomcal_confirm_disable"
