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
