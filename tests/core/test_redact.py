from anchordesk.core.redact import mask_secrets, mask_url


def test_stream_key_in_path_is_masked() -> None:
    masked = mask_url("rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop")
    assert "abcd" not in masked
    assert masked.startswith("rtmp://a.rtmp.youtube.com/live2/")


def test_rtmps_with_port_and_query_key() -> None:
    masked = mask_url("rtmps://live-api-s.facebook.com:443/rtmp/FB-123?s_bl=1&s_sc=999&a=KEY")
    assert "FB-123" not in masked and "KEY" not in masked and "999" not in masked
    assert "live-api-s.facebook.com:443/rtmp/" in masked


def test_http_token_query_masked_but_cursor_kept() -> None:
    masked = mask_url("https://shop.example/orders.json?since_id=5&access_token=SECRET")
    assert "SECRET" not in masked and "since_id=5" in masked


def test_user_info_masked() -> None:
    assert "pw" not in mask_url("rtmp://user:pw@host/app/key")


def test_mask_secrets_in_messages() -> None:
    assert mask_secrets("failed to open rtmp://h/app/SECRET1", ["SECRET1"]) == (
        "failed to open rtmp://h/app/****"
    )
