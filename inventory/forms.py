"""Forms of the inventory screens. Rules live in inventory.services; these only parse input."""

from django import forms

from inventory.selectors import (
    DEFAULT_SORT,
    SORT_CHOICES,
    STATUS_ALL,
    STATUS_CHOICES,
)
from inventory.services import MAX_REASON_LENGTH, MAX_STOCK, MAX_THRESHOLD

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50


class InventoryFilterForm(forms.Form):
    """GET filters of the list and the CSV export. Invalid values fall back to defaults."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="PZN, product or SKU name, or external ID",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(label="Show", choices=STATUS_CHOICES, required=False)
    sort = forms.ChoiceField(label="Sort by", choices=SORT_CHOICES, required=False)
    per_page = forms.TypedChoiceField(
        label="Rows per page",
        choices=[(size, size) for size in PAGE_SIZES],
        coerce=int,
        required=False,
    )

    DEFAULTS = {"q": "", "status": STATUS_ALL, "sort": DEFAULT_SORT, "per_page": DEFAULT_PAGE_SIZE}

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)

    def values(self) -> dict:
        """Cleaned values, with the default for each missing or invalid one."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: (
                cleaned[name]
                if name not in self.errors and cleaned.get(name) not in (None, "")
                else default
            )
            for name, default in self.DEFAULTS.items()
        }


class StockAdjustmentForm(forms.Form):
    new_stock = forms.IntegerField(
        label="New stock",
        min_value=0,
        max_value=MAX_STOCK,
        help_text="The counted stock level: a whole number, 0 or more.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_REASON_LENGTH,
        help_text="Required. Recorded in the ledger with your name.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The stock the clerk saw: if it changed meanwhile, the clerk is told instead of
    # overwriting a figure they never saw.
    expected_stock = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


class ThresholdForm(forms.Form):
    low_stock_threshold = forms.IntegerField(
        label="Threshold (units available)",
        min_value=0,
        max_value=MAX_THRESHOLD,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )

    def __init__(self, *args, default_threshold: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["low_stock_threshold"].widget.attrs["placeholder"] = (
            f"Default: {default_threshold}"
        )
        self.fields["low_stock_threshold"].help_text = (
            f"Low stock when available is at or below this. Empty: the global default "
            f"({default_threshold})."
        )
