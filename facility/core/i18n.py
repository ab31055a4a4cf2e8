"""Korean (default) and English UI text; each domain registers its own messages."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
LANG_COOKIE = "lang"

# The language of the request (or job) being served; the app's middleware sets it per request.
current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)

_messages: dict[str, tuple[str, str]] = {}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add (Korean, English) pairs under keys; a domain calls this at import."""
    _messages.update(messages)


def translate(key: str, lang: str) -> str:
    pair = _messages.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def gettext(message: str, /, **params: object) -> str:
    """A user-visible sentence in the current language: `_("{n} people exceed {cap}.", n=3, cap=2)`.

    The English text is the message id; the Korean catalogue translates it. Until a sentence is
    in the catalogue it is shown as written (a test lists such gaps).
    """
    text = _catalogue_lookup(message, current_language.get())
    return text.format(**params) if params else text


def _catalogue_lookup(message: str, lang: str) -> str:
    return message


def translator(lang: str) -> Callable[[str], str]:
    return lambda key: translate(key, lang)


register(
    {
        "app.name": ("연수원 시설 운영", "Campus Facility Operations"),
        "app.org": ("서울특별시교육청교육연수원", "Seoul Metropolitan Office of Education Training Institute"),
        "nav.rooms": ("시설 목록", "Rooms"),
        "nav.audit": ("감사 기록", "Audit log"),
        "nav.orgs": ("기관 승인", "Organisations"),
        "nav.login": ("로그인", "Sign in"),
        "nav.logout": ("로그아웃", "Sign out"),
        "nav.signup": ("대관 회원가입", "Renter sign-up"),
        "nav.skip": ("본문으로 건너뛰기", "Skip to content"),
        "lang.switch": ("English", "한국어"),
        "common.search": ("검색", "Search"),
        "common.all": ("전체", "All"),
        "common.save": ("저장", "Save"),
        "common.approve": ("승인", "Approve"),
        "common.reject": ("반려", "Reject"),
        "common.reason": ("사유", "Reason"),
        "common.status": ("상태", "Status"),
        "common.when": ("일시", "When"),
        "common.yes": ("예", "Yes"),
        "common.no": ("아니오", "No"),
        "common.none": ("없음", "None"),
        "common.prev": ("이전", "Previous"),
        "common.next": ("다음", "Next"),
        "common.total": ("총", "Total"),
        "common.error": ("오류", "Error"),
        "login.title": ("로그인", "Sign in"),
        "login.email": ("이메일", "E-mail"),
        "login.password": ("비밀번호", "Password"),
        "login.submit": ("로그인", "Sign in"),
        "login.failed": ("이메일 또는 비밀번호가 올바르지 않습니다.", "Wrong e-mail or password."),
        "login.no_account": (
            "대관을 원하는 기관은 회원가입하세요.",
            "Organisations that want to rent space can sign up.",
        ),
        "signup.title": ("대관 회원가입", "Renter sign-up"),
        "signup.intro": (
            "기관 정보를 등록하면 담당자가 확인 후 승인합니다. 승인 후 대관을 신청할 수 있습니다.",
            "Register your organisation; a facility manager checks and approves it before you can book.",
        ),
        "signup.full_name": ("담당자 이름", "Your name"),
        "signup.org_name": ("기관명", "Organisation"),
        "signup.business_number": ("사업자등록번호", "Business registration no."),
        "signup.org_kind": ("기관 유형", "Organisation type"),
        "signup.phone": ("연락처", "Phone"),
        "signup.submit": ("가입 신청", "Sign up"),
        "signup.done": (
            "가입되었습니다. 기관 승인 후 대관 신청이 가능합니다.",
            "Signed up. You can book once your organisation is approved.",
        ),
        "orgkind.public": ("공공기관", "Public body"),
        "orgkind.education": ("교육기관", "Education body"),
        "orgkind.nonprofit": ("비영리단체", "Non-profit"),
        "orgkind.private": ("민간", "Private"),
        "orgstatus.pending": ("승인 대기", "Pending"),
        "orgstatus.approved": ("승인", "Approved"),
        "orgstatus.rejected": ("반려", "Rejected"),
        "orgs.title": ("대관 기관 승인", "Renter organisations"),
        "orgs.contact": ("담당자", "Contact"),
        "audit.title": ("감사 기록", "Audit log"),
        "audit.actor": ("처리자", "Actor"),
        "audit.action": ("작업", "Action"),
        "audit.entity": ("대상", "Entity"),
        "audit.changes": ("변경 내용", "Changes"),
        "audit.ip": ("IP", "IP"),
        "role.renter": ("대관 이용자", "Renter"),
        "role.crew": ("시설 작업자", "Crew"),
        "role.manager": ("시설 관리자", "Manager"),
        "role.admin": ("관리자", "Administrator"),
        "error.title": ("문제가 발생했습니다", "Something went wrong"),
        "error.back": ("처음으로", "Back to start"),
    }
)
