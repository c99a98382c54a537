//! The five vendors' answers, in each one's own dialect (seeds 000–004), decided by the
//! registry.

use base64::Engine as _;
use idcheck_core::{IdNumber, Mobile, MobileKind, Name, Sex};
use serde_json::{Value, json};

use crate::registry::{Person, Registry};

/// One of the five vendor endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// `GET /idCardCert` (seed 000).
    IdCardCert,
    /// `GET /carrieroperator` (seed 001).
    CheckPhone,
    /// `POST /face` (seed 002).
    FaceVer,
    /// `POST /idenAuthentication` (seed 003).
    IdenAuthen,
    /// `POST /chinadatapay/1882` (seed 004).
    CheckOne,
}

impl Vendor {
    /// Every vendor, in seed order.
    pub const ALL: [Vendor; 5] = [
        Self::IdCardCert,
        Self::CheckPhone,
        Self::FaceVer,
        Self::IdenAuthen,
        Self::CheckOne,
    ];

    /// The provider id, as in the vendor crates.
    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            Self::IdCardCert => "idcardcert",
            Self::CheckPhone => "checkphone",
            Self::FaceVer => "facever",
            Self::IdenAuthen => "idenauthen",
            Self::CheckOne => "checkone",
        }
    }

    /// The path it answers.
    #[must_use]
    pub const fn path(self) -> &'static str {
        match self {
            Self::IdCardCert => "/idCardCert",
            Self::CheckPhone => "/carrieroperator",
            Self::FaceVer => "/face",
            Self::IdenAuthen => "/idenAuthentication",
            Self::CheckOne => "/chinadatapay/1882",
        }
    }

    /// Whether its parameters travel as a form body (else as a query).
    #[must_use]
    pub const fn is_form(self) -> bool {
        matches!(self, Self::FaceVer | Self::IdenAuthen | Self::CheckOne)
    }

    /// The parameters it requires, by name.
    #[must_use]
    pub const fn required(self) -> &'static [&'static str] {
        match self {
            Self::IdCardCert => &["idCard", "name"],
            Self::CheckPhone => &["idCard", "mobile", "name"],
            Self::FaceVer => &["idCard", "image", "name"],
            Self::IdenAuthen => &["idNo", "name"],
            Self::CheckOne => &["idcard", "name"],
        }
    }

    /// The name of the parameter that carries the ID number (`idCard`, `idNo` or `idcard`).
    #[must_use]
    pub const fn id_param(self) -> &'static str {
        match self {
            Self::IdCardCert | Self::CheckPhone | Self::FaceVer => "idCard",
            Self::IdenAuthen => "idNo",
            Self::CheckOne => "idcard",
        }
    }

    /// The vendor at `path`.
    #[must_use]
    pub fn at(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.path() == path)
    }

    /// The answer to the vendor's own "maintenance / exceptional situation" code.
    #[must_use]
    pub fn maintenance(self) -> Value {
        match self {
            Self::IdCardCert | Self::CheckPhone | Self::FaceVer => {
                json!({"status": "203", "msg": "异常情况!"})
            }
            Self::IdenAuthen => {
                json!({"respCode": "0010", "respMessage": "系统维护，请稍后再试"})
            }
            Self::CheckOne => json!({"code": "10019", "message": "系统异常", "data": "null"}),
        }
    }

    /// The answer for these parameters (all required ones present).
    #[must_use]
    pub fn answer(self, param: &dyn Fn(&str) -> String, registry: &Registry) -> Value {
        match self {
            Self::IdCardCert => idcardcert(&param("idCard"), &param("name"), registry),
            Self::CheckPhone => {
                checkphone(&param("idCard"), &param("name"), &param("mobile"), registry)
            }
            Self::FaceVer => facever(&param("idCard"), &param("name"), &param("image"), registry),
            Self::IdenAuthen => idenauthen(&param("idNo"), &param("name"), registry),
            Self::CheckOne => checkone(&param("idcard"), &param("name"), registry),
        }
    }
}

/// What the authority says about an ID number and a name.
enum Lookup<'a> {
    BadId,
    BadName,
    NoRecord,
    Mismatch(&'a Person),
    Match(&'a Person),
}

fn lookup<'a>(id: &str, name: &str, registry: &'a Registry) -> Lookup<'a> {
    let Ok(id) = IdNumber::parse(id) else {
        return Lookup::BadId;
    };
    let Ok(name) = Name::parse(name) else {
        return Lookup::BadName;
    };
    match registry.find(&id) {
        None => Lookup::NoRecord,
        Some(person) if person.name == name.as_str() => Lookup::Match(person),
        Some(person) => Lookup::Mismatch(person),
    }
}

/// Sex, birthday and region as the ID number says (the authority's record agrees with it).
fn details(person: &Person) -> (String, String, String, [String; 3]) {
    let id = person.id;
    let sex = match id.sex() {
        Sex::Male => "男",
        Sex::Female => "女",
    };
    let region = id.region();
    let part = |name: Option<&str>| name.unwrap_or_default().to_owned();
    let parts = [
        part(region.and_then(|r| r.province())),
        part(region.and_then(|r| r.prefecture())),
        part(region.and_then(|r| r.county())),
    ];
    (
        sex.to_owned(),
        id.birthday().format("%Y-%m-%d").to_string(),
        format!("{:06}", id.address_code()),
        parts,
    )
}

/// The fields both fegine vendors return, filled on a match and empty otherwise.
fn fegine_details(person: Option<&Person>) -> serde_json::Map<String, Value> {
    let (sex, birthday, code, [province, city, county]) = match person {
        Some(person) => details(person),
        None => Default::default(),
    };
    let area = format!("{province}{city}{county}");
    let mut fields = serde_json::Map::new();
    for (key, value) in [
        ("sex", sex),
        ("area", area),
        ("province", province),
        ("city", city),
        ("prefecture", county),
        ("birthday", birthday),
        ("addrCode", code),
    ] {
        fields.insert(key.to_owned(), Value::String(value));
    }
    fields
}

fn idcardcert(id: &str, name: &str, registry: &Registry) -> Value {
    let (status, msg, person) = match lookup(id, name, registry) {
        Lookup::BadId => ("205", "身份证格式不正确!", None),
        Lookup::BadName => ("204", "姓名格式不正确!", None),
        Lookup::NoRecord => ("202", "无法验证!", None),
        Lookup::Mismatch(_) => ("02", "实名认证不通过!", None),
        Lookup::Match(person) => ("01", "实名认证通过!", Some(person)),
    };
    let mut answer = fegine_details(person);
    answer.insert("status".into(), status.into());
    answer.insert("msg".into(), msg.into());
    answer.insert("idCard".into(), id.into());
    answer.insert("name".into(), name.into());
    answer.insert(
        "lastCode".into(),
        person
            .map_or(String::new(), |p| p.id.as_str()[17..].to_owned())
            .into(),
    );
    Value::Object(answer)
}

/// `51*****1111`: the vendor echoes its inputs masked.
fn echo_masked(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}*****{tail}")
}

fn checkphone(id: &str, name: &str, mobile: &str, registry: &Registry) -> Value {
    let trace_id = format!("sandbox_{:016x}", fastrand::u64(..));
    let answer = |status: &str, msg: &str, carrier: &str| {
        json!({
            "status": status, "msg": msg,
            "idCard": echo_masked(id), "mobile": echo_masked(mobile), "name": echo_masked(name),
            "mobileType": carrier, "traceId": trace_id,
        })
    };
    let parsed_mobile = match Mobile::parse(mobile) {
        Ok(m) if m.kind() == MobileKind::Virtual => {
            return answer("203", "异常情况", "");
        }
        Ok(m) if m.kind() != MobileKind::Mobile => return answer("207", "不支持当前号段", ""),
        Ok(m) => m,
        Err(_) => return answer("206", "电话号码错误", ""),
    };
    match lookup(id, name, registry) {
        Lookup::BadId => answer("205", "身份证号错误", ""),
        Lookup::BadName => answer("204", "姓名错误", ""),
        Lookup::NoRecord => answer("202", "无法验证", ""),
        Lookup::Mismatch(_) => answer("02", "实名认证不通过", ""),
        Lookup::Match(person) if person.mobile != Some(parsed_mobile) => {
            answer("02", "实名认证不通过", "")
        }
        Lookup::Match(person) => {
            let carrier = person.carrier.clone().unwrap_or_else(|| {
                let zh = parsed_mobile.original_carrier().name_zh();
                zh.trim_start_matches("中国").to_owned()
            });
            answer("01", "实名认证通过", &carrier)
        }
    }
}

fn facever(id: &str, name: &str, image: &str, registry: &Registry) -> Value {
    let (status, msg, person) = facever_status(id, name, image, registry);
    let mut answer = fegine_details(person);
    answer.insert("status".into(), status.into());
    answer.insert("msg".into(), msg.into());
    answer.insert("idCard".into(), id.into());
    answer.insert("name".into(), name.into());
    Value::Object(answer)
}

fn facever_status<'a>(
    id: &str,
    name: &str,
    image: &str,
    registry: &'a Registry,
) -> (&'static str, &'static str, Option<&'a Person>) {
    let person = match lookup(id, name, registry) {
        Lookup::BadId => return ("205", "身份证格式不正确!", None),
        Lookup::BadName => return ("204", "姓名格式不正确!", None),
        Lookup::NoRecord => return ("-2", "公安库中无此身份证记录", None),
        Lookup::Mismatch(_) => return ("-1", "身份证和姓名不匹配", None),
        Lookup::Match(person) => person,
    };
    if image.len() > idcheck_core::DEFAULT_MAX_BASE64_LEN {
        return ("-5", "照片相片体积过大", None);
    }
    let Some(on_file) = &person.photo else {
        return ("-3", "公安身份证库中没有此号码的照片", None);
    };
    if image.starts_with("http://") || image.starts_with("https://") {
        // The sandbox fetches nothing: a URL is "unreachable", as the vendor says of one.
        return ("203", "异常情况!", None);
    }
    match base64::engine::general_purpose::STANDARD.decode(image) {
        Ok(bytes) if bytes == *on_file => ("1", "系统分析为同一人", Some(person)),
        Ok(_) => ("3", "系统分析为不是同一人", Some(person)),
        Err(_) => ("-4", "相片质量校验不合格", None),
    }
}

fn idenauthen(id: &str, name: &str, registry: &Registry) -> Value {
    let answer = |code: &str, message: &str, person: Option<&Person>| {
        let mut fields =
            json!({"name": name, "idNo": id, "respMessage": message, "respCode": code});
        if let Some(person) = person {
            let (sex, _, _, [province, city, county]) = details(person);
            let birthday = person.id.birthday().format("%Y%m%d").to_string();
            let age = person
                .id
                .age_on(idcheck_core::today_in_china())
                .unwrap_or_default();
            let extra = json!({
                "province": province, "city": city, "county": county, "birthday": birthday,
                "sex": if sex == "男" { "M" } else { "F" }, "age": age.to_string(),
            });
            if let (Some(fields), Value::Object(extra)) = (fields.as_object_mut(), extra) {
                fields.extend(extra);
            }
        }
        fields
    };
    match lookup(id, name, registry) {
        Lookup::BadId => answer("0004", "身份证号格式错误", None),
        Lookup::BadName => answer("0002", "开户名不能包含特殊字符", None),
        Lookup::NoRecord => answer("0007", "无此身份证号码", None),
        Lookup::Mismatch(person) => answer("0008", "身份证信息不匹配", Some(person)),
        Lookup::Match(person) => answer("0000", "身份证信息匹配", Some(person)),
    }
}

fn checkone(id: &str, name: &str, registry: &Registry) -> Value {
    let seq_no = format!("SBX{:015X}", fastrand::u64(..) >> 4);
    let answer = |code: &str, message: &str, data: Value| json!({"code": code, "message": message, "data": data, "seqNo": seq_no});
    match lookup(id, name, registry) {
        Lookup::BadId | Lookup::BadName => answer("10018", "参数错误", "null".into()),
        Lookup::NoRecord => answer("10001", "查询无结果", "null".into()),
        Lookup::Mismatch(_) => answer("10000", "成功", json!({"result": "2"})),
        Lookup::Match(_) => answer("10000", "成功", json!({"result": "1"})),
    }
}
