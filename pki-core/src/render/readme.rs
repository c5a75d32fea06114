pub fn render(
    _s: &crate::spec::ClusterSpec,
    _m: &[super::MemberPlan],
    _c: &crate::issue::IssuedCert,
    _w: &[crate::validate::Problem],
    _g: &str,
) -> String {
    String::new()
}
