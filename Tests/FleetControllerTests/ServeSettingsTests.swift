import FleetController
import FleetProtocol
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct ServeSettingsTests {
    @Test func optionsWinOverTheEnvironmentOverTheDefaults() throws {
        let none = try ServeSettings.resolve(address: nil, interval: nil, hostTimeout: nil, environment: [:])
        #expect(none == ServeSettings())
        #expect(none.metricsAddress == "127.0.0.1:9464" && none.interval == 15 && none.hostTimeout == 5)
        let env = ["VFLEET_METRICS_ADDRESS": "0.0.0.0:9100", "VFLEET_METRICS_INTERVAL": "1m", "VFLEET_METRICS_HOST_TIMEOUT": "2s"]
        let fromEnv = try ServeSettings.resolve(address: nil, interval: nil, hostTimeout: nil, environment: env)
        #expect(fromEnv.metricsAddress == "0.0.0.0:9100" && fromEnv.interval == 60 && fromEnv.hostTimeout == 2)
        let fromOptions = try ServeSettings.resolve(address: "[::1]:9464", interval: "5s", hostTimeout: "500ms", environment: env)
        #expect(fromOptions.metricsAddress == "[::1]:9464" && fromOptions.interval == 5 && fromOptions.hostTimeout == 0.5)
    }

    @Test func refusesBadDurationsNamingWhereTheyCameFrom() {
        #expect(throws: FleetError.self) { try ServeSettings.resolve(address: nil, interval: "0s", hostTimeout: nil, environment: [:]) }
        #expect(throws: FleetError.self) { try ServeSettings.resolve(address: nil, interval: "2h", hostTimeout: nil, environment: [:]) }
        do {
            _ = try ServeSettings.resolve(address: nil, interval: nil, hostTimeout: nil, environment: ["VFLEET_METRICS_HOST_TIMEOUT": "soon"])
            Issue.record("a bad VFLEET_METRICS_HOST_TIMEOUT was taken")
        } catch {
            #expect(error.message.contains("VFLEET_METRICS_HOST_TIMEOUT \"soon\""))
        }
    }

    @Test func reconcileEveryMinuteByDefaultOrAsToldOrOff() throws {
        #expect(ServeSettings().reconcileInterval == 60)
        #expect(try ServeSettings.resolve(address: nil, interval: nil, hostTimeout: nil, environment: ["VFLEET_RECONCILE_INTERVAL": "2m"]).reconcileInterval == 120)
        #expect(try ServeSettings.resolve(address: nil, interval: nil, hostTimeout: nil, reconcileInterval: "off",
                                          environment: ["VFLEET_RECONCILE_INTERVAL": "2m"]).reconcileInterval == nil)
        do {
            _ = try ServeSettings.resolve(address: nil, interval: nil, hostTimeout: nil, reconcileInterval: "0s", environment: [:])
            Issue.record("a reconcile interval of 0s was taken")
        } catch {
            #expect(error.message.contains("--reconcile-interval \"0s\""), "\(error.message)")
        }
    }
}
