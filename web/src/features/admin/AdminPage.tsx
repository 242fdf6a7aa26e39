// The founders' cost dashboard (/admin): every figure comes from the admin API; nothing is
// computed here that the API does not also serve, so the page and `GET /v1/admin/costs` agree.
import { $api, apiError } from "../../lib/api/client";
import "../../styles/consoles.css";
import { ErrorNotice } from "../../components/Notice";
import { Forbidden } from "../../components/Forbidden";
import { usePageTitle } from "../../components/usePageTitle";
import { viewerZone } from "./format";
import { SpendSection } from "./SpendSection";
import { CostPerMauSection, WhereMoneyGoesSection } from "./UsageSections";
import { GuardSection } from "./GuardSection";
import { DonationsSection, PricesSection } from "./DonationsSection";

export function AdminPage() {
  usePageTitle("Costs");
  const report = $api.useQuery("get", "/v1/admin/costs", { params: { query: { group_by: "service" } } },
    { retry: false });
  if (report.error && apiError(report.error).code === "founder_only") return <Forbidden area="cost dashboard" role="founder" />;
  return (
    <section className="admin">
      <div className="page-head">
        <h1>Costs</h1>
        <p className="muted">Amounts in US dollars (USD). Times in your time zone ({viewerZone}); days are UTC days, as the meter counts them.</p>
      </div>
      <ErrorNotice error={report.error} />
      <SpendSection report={report.data} />
      <CostPerMauSection />
      <WhereMoneyGoesSection report={report.data} />
      <GuardSection />
      <DonationsSection />
      <PricesSection />
    </section>
  );
}
