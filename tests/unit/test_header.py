import pytest

from churn_transforms.errors import InputError
from churn_transforms.io import map_header, parse_header


def test_bom_whitespace_quotes_and_crlf():
    assert parse_header('\ufeff CustomerID , "Name",age\r\n') == ["CustomerID", "Name", "age"]
    assert parse_header("") == [] and parse_header(None) == []


def test_case_insensitive_mapping_with_extra_columns():
    names = [
        "extra",
        "customerid",
        "NAME",
        "Age",
        "gender",
        "country",
        "signupdate",
        "lastpurchasedate",
        "totalpurchases",
        "totalspent",
        "churned",
    ]
    positions = map_header(names, "x.csv")
    assert positions["CustomerID"] == 1 and positions["Churned"] == 10


def test_missing_columns_named_in_lab_order():
    with pytest.raises(
        InputError, match=r"^missing required column\(s\): Age, Churned in s3://b/k.csv$"
    ):
        map_header(
            [
                "CustomerID",
                "Name",
                "Gender",
                "Country",
                "SignupDate",
                "LastPurchaseDate",
                "TotalPurchases",
                "TotalSpent",
            ],
            "s3://b/k.csv",
        )


def test_duplicate_names_rejected_case_insensitively():
    names = [
        "CustomerID",
        "Name",
        "Age",
        "Gender",
        "Country",
        "SignupDate",
        "LastPurchaseDate",
        "TotalPurchases",
        "TotalSpent",
        "Churned",
        "name",
    ]
    with pytest.raises(
        InputError, match=r"^duplicate column name\(s\) in header: Name, name in x.csv$"
    ):
        map_header(names, "x.csv")
    # a duplicated *extra* column is rejected too: which copy a reader means is unknowable
    with pytest.raises(InputError, match="duplicate column name"):
        map_header(names[:-1] + ["extra", "EXTRA"], "x.csv")


def test_header_with_no_lab_column_is_no_recognisable_header():
    with pytest.raises(InputError) as err:
        map_header(["101", "John Smith", "34", "Male"], "s3://b/k.csv")
    assert str(err.value).startswith(
        "no recognisable header in s3://b/k.csv: the first non-blank line ('101,John Smith,34,Male')"
    )
    assert "\n" not in str(err.value)
