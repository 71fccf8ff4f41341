"""Forms for the staff screens. They parse input; the rules live in the services."""

from django import forms

from pharmacy_orders.models import OrderStatus, ShippingMethodMapping
from pharmacy_orders.selectors import (
    TAB_ALL,
    TAB_AWAITING_ORIGINAL,
    TAB_NEEDS_WORK,
    TAB_STATUSES,
    WorklistFilters,
    pharmacy_choices,
    shipping_method_choices,
)
from pharmacy_orders.services.gates import CHECKLIST_LABELS, ReleaseChecklist
from pharmacy_orders.services.notes import NOTE_MAX_LENGTH
from pharmacy_orders.services.paper_originals import (
    NOTE_MAX_LENGTH as PAPER_NOTE_MAX_LENGTH,
)
from pharmacy_orders.services.paper_originals import SCAN_REFERENCE_MAX_LENGTH
from pharmacy_orders.services.workflow import TRANSITIONS

PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]
DEFAULT_PER_PAGE = 50


class WorklistFilterForm(forms.Form):
    """The worklist's GET filters. Unknown values fall back to "no filter", never an error."""

    status = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[
            (TAB_NEEDS_WORK, "Needs work"),
            (TAB_AWAITING_ORIGINAL, "Awaiting original"),
            (TAB_ALL, "All"),
        ]
        + [(s, OrderStatus(s).label) for s in TAB_STATUSES],
    )
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Order, shop order, patient or uid",
                "data-shortcut": "/",
                "autocomplete": "off",
            }
        ),
    )
    pharmacy = forms.ChoiceField(label="Pharmacy", required=False)
    prepaid = forms.ChoiceField(
        label="Prescription",
        required=False,
        choices=[("", "Any"), ("yes", "Paper prescription"), ("no", "No paper prescription")],
    )
    shipping = forms.ChoiceField(label="Shipping method", required=False)
    unmapped = forms.BooleanField(label="Unmapped shipping only", required=False)
    per_page = forms.TypedChoiceField(
        label="Per page",
        required=False,
        coerce=int,
        choices=PER_PAGE_CHOICES,
        empty_value=DEFAULT_PER_PAGE,
    )

    def __init__(self, data=None, **kwargs):
        if data is not None and not data.get("per_page"):
            data = data.copy()
            data["per_page"] = str(DEFAULT_PER_PAGE)
        super().__init__(data, **kwargs)
        self.fields["pharmacy"].choices = [("", "All pharmacies"), *pharmacy_choices()]
        self.fields["shipping"].choices = [("", "All methods"), *shipping_method_choices()]

    def _value(self, name: str, default=""):
        if not self.is_bound:
            return default
        if name in self.errors:
            return default
        return self.cleaned_data.get(name) or default

    def filters(self) -> WorklistFilters:
        self.is_valid()
        return WorklistFilters(
            tab=self._value("status"),
            pharmacy=self._value("pharmacy"),
            prepaid=self._value("prepaid"),
            shipping=self._value("shipping"),
            unmapped=bool(self._value("unmapped", False)),
            q=self._value("q"),
        )

    def page_size(self) -> int:
        self.is_valid()
        return self._value("per_page", DEFAULT_PER_PAGE)


class TransitionForm(forms.Form):
    """One pipeline action. Choices come from the transition map; whether the action is
    allowed now, and what it needs, is the service's decision (same map)."""

    action = forms.ChoiceField(choices=[(a, t.label) for a, t in TRANSITIONS.items()])
    expected_status = forms.ChoiceField(choices=OrderStatus.choices, widget=forms.HiddenInput)
    # Length and blankness are the service's checks (its message names the limit).
    reason = forms.CharField(label="Reason", required=False, widget=forms.Textarea)
    confirm = forms.BooleanField(required=False)
    # A release's checklist (into ready_for_pickup); whether it is complete is the service's
    # check, so that the refusal names what is missing.
    prescription_checked = forms.BooleanField(required=False)
    doctor_and_signature_checked = forms.BooleanField(required=False)
    dose_and_interactions_plausible = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        ticked = {name: bool(data.pop(name, False)) for name in CHECKLIST_LABELS}
        data["checklist"] = ReleaseChecklist(**ticked)
        return data


class PaperOriginalForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=PAPER_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scan_reference = forms.CharField(
        label="Scan reference (optional)",
        required=False,
        max_length=SCAN_REFERENCE_MAX_LENGTH,
        help_text="Where the scan of the original is kept, e.g. a document number.",
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Add a note",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClaimForm(forms.Form):
    takeover = forms.BooleanField(required=False, widget=forms.HiddenInput)
    expected_claimant = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ShippingMappingForm(forms.ModelForm):
    class Meta:
        model = ShippingMethodMapping
        fields = ["display_name", "carrier_identifier"]
        labels = {
            "display_name": "Name shown to staff",
            "carrier_identifier": "Carrier identifier",
        }
        help_texts = {
            "carrier_identifier": "The identifier your carrier expects, e.g. DHL_STANDARD.",
        }


class AuditFilterForm(forms.Form):
    order_uid = forms.CharField(label="Order uid", required=False, max_length=64)
    user = forms.CharField(label="User name", required=False, max_length=150)
    action = forms.ChoiceField(label="Action", required=False)

    def __init__(self, *args, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "All actions"), *[(a, a) for a in actions]]
