<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AudioPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/health.py" line="+241"/>
        <source>Microphone level</source>
        <translation>麦克风音量</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mute</source>
        <translation>静音</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mute the microphone</source>
        <translation>麦克风静音</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gain</source>
        <translation>增益</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Microphone gain</source>
        <translation>麦克风增益</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>no mic</source>
        <translation>无麦克风</translation>
    </message>
</context>
<context>
    <name>BoardPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/board.py" line="+255"/>
        <source>Viewers now</source>
        <translation>在线人数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Comments/min</source>
        <translation>评论/分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Orders/min</source>
        <translation>订单/分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+18"/>
        <source>GMV</source>
        <translation>成交额</translation>
    </message>
    <message>
        <location line="-17"/>
        <location line="+20"/>
        <source>Conversion</source>
        <translation>转化率</translation>
    </message>
    <message>
        <location line="-19"/>
        <source>Average order</source>
        <translation>客单价</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Buyers ÷ peak viewers</source>
        <translation>下单人数 ÷ 峰值在线人数</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Viewers over the last ten minutes</source>
        <translation>最近十分钟的在线人数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prompts</source>
        <translation>提示</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Take the selected prompt off the board</source>
        <translation>从看板上移除选中的提示</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rules</source>
        <translation>规则</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Which prompts the board gives</source>
        <translation>看板给出哪些提示</translation>
    </message>
    <message>
        <source>Viewers fell by more than %1% in %2 s</source>
        <translation type="vanished">%2 秒内在线人数下降超过 %1%</translation>
    </message>
    <message>
        <source>A deal ends within %1 s with more than %2% of its units left</source>
        <translation type="vanished">秒杀 %1 秒内结束且剩余超过 %2% 的件数</translation>
    </message>
    <message>
        <source>The product on screen sold out</source>
        <translation type="vanished">展示中的商品已售罄</translation>
    </message>
    <message>
        <source>A question has waited %1 s unanswered</source>
        <translation type="vanished">提问已等待 %1 秒未回答</translation>
    </message>
    <message>
        <source>The product on screen will sell out before its segment ends</source>
        <translation type="vanished">展示中的商品将在本环节结束前售罄</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Segments</source>
        <translation>环节</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Sold</source>
        <translation>已售</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Forecast</source>
        <translation>售罄预测</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Segment</source>
        <translation>环节</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Peak</source>
        <translation>峰值</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Orders</source>
        <translation>订单</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Viewers fell from %1 to %2 in %3 min: give them a reason to stay</source>
        <translation>%3 分钟内在线人数从 %1 降到 %2：给观众一个留下的理由</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Deal on %1 ends in %2 s with %3 of %4 left</source>
        <translation>%1 的秒杀 %2 秒后结束，还剩 %3/%4 件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 sold out while on screen: move on or restock</source>
        <translation>%1 在展示中售罄：换下一个商品或补货</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A question has waited %1 s: %2: %3</source>
        <translation>有提问已等待 %1 秒：%2：%3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 sells out in ~%2 min, before this segment ends</source>
        <translation>%1 约 %2 分钟后售罄，早于本环节结束</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>No feed counts viewers</source>
        <translation>没有数据源提供在线人数</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Peak %1 · buyers %2</source>
        <translation>峰值 %1 · 下单 %2 人</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>sold out</source>
        <translation>已售罄</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>sells out in ~%1 min</source>
        <translation>约 %1 分钟后售罄</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>On sale now</source>
        <translation>正在销售</translation>
    </message>
</context>
<context>
    <name>CommentPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/comments.py" line="+295"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Name</source>
        <translation>昵称</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Comment</source>
        <translation>评论</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Search comments</source>
        <translation>搜索评论</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Questions</source>
        <translation>提问</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show questions only</source>
        <translation>只看提问</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Flagged</source>
        <translation>已标记</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show flagged comments only</source>
        <translation>只看被标记的评论</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Comments</source>
        <translation>评论</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pin</source>
        <translation>置顶</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pin the selected comment to the picture</source>
        <translation>把选中的评论置顶到画面上</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Take the pinned comment off the picture</source>
        <translation>从画面上撤下置顶评论</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hide the selected comment</source>
        <translation>隐藏选中的评论</translation>
    </message>
    <message>
        <source>%1 new comments ↓</source>
        <translation type="vanished">%1 条新评论 ↓</translation>
    </message>
    <message>
        <source>%1 new comments: show the newest</source>
        <translation type="vanished">%1 条新评论：跳到最新</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+93"/>
        <source>%1 received</source>
        <translation>已收到 %1 条</translation>
    </message>
    <message numerus="yes">
        <location line="-34"/>
        <source>%Ln new comment(s) ↓</source>
        <translation>
            <numerusform>%Ln 条新评论 ↓</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%Ln new comment(s): show the newest</source>
        <translation>
            <numerusform>%Ln 条新评论：跳到最新</numerusform>
        </translation>
    </message>
    <message>
        <location line="+42"/>
        <source>Nothing pinned</source>
        <translation>没有置顶评论</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Pinned: %1: %2</source>
        <translation>置顶：%1：%2</translation>
    </message>
</context>
<context>
    <name>ControlServer</name>
    <message>
        <location filename="../src/anchordesk/control/server.py" line="+210"/>
        <source>no show is running yet</source>
        <translation>还没有正在运行的节目</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>another site&apos;s page may not use this API (a proxy in front of the remote must pass the Host header on as it came)</source>
        <translation>其他网站的页面不能使用此接口（遥控前面的代理必须原样转发 Host 请求头）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the show has moved on to another session since this was sent</source>
        <translation>发送之后节目已进入另一场</translation>
    </message>
    <message>
        <location line="+565"/>
        <source>{command} failed: see the log</source>
        <translation>{command} 执行失败：请查看日志</translation>
    </message>
</context>
<context>
    <name>Controller</name>
    <message>
        <location filename="../src/anchordesk/ui/controller.py" line="+272"/>
        <source>Cannot open the show: %1</source>
        <translation>无法打开节目：%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No show to open: the sample show is missing.</source>
        <translation>没有可打开的节目：示例节目缺失。</translation>
    </message>
    <message>
        <location line="+670"/>
        <source>Recording to %1</source>
        <translation>正在录制到 %1</translation>
    </message>
    <message>
        <location line="-554"/>
        <source>The picture could not start: %1</source>
        <translation>画面无法启动：%1</translation>
    </message>
    <message>
        <location line="-50"/>
        <source>The camera %1 chosen in Settings cannot be opened: the picture shows the test pattern. Choose another camera in Settings → Devices.</source>
        <translation>无法打开设置中选择的摄像头 %1：画面显示测试图。请在“设置 → 设备”中选择其他摄像头。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The microphone %1 chosen in Settings cannot be opened: the show has the test tone. Choose another microphone in Settings → Devices.</source>
        <translation>无法打开设置中选择的麦克风 %1：节目使用测试音。请在“设置 → 设备”中选择其他麦克风。</translation>
    </message>
    <message>
        <location line="+88"/>
        <source>The rehearsal did not start: its session file cannot be made: %1. Make room on that disk or make it writable, then choose Rehearse again.</source>
        <translation>彩排没有开始：无法创建会话文件：%1。请腾出该磁盘的空间或使其可写，然后选择“再次彩排”。</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Cannot %1: no event loop.</source>
        <translation>无法%1：没有事件循环。</translation>
    </message>
    <message>
        <location line="+171"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 fps</source>
        <translation>%1 帧/秒</translation>
    </message>
    <message>
        <location line="+136"/>
        <source>The recordings folder %1 does not answer (a network disk whose server went away?): this session is not recorded. Choose another folder in Settings.</source>
        <translation>录制文件夹 %1 没有响应（网络磁盘的服务器断开了？）：本场不会录制。请在“设置”里选择其他文件夹。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>The log file is no longer written: %1. The show goes on; what happens from now on is not in the log.</source>
        <translation>日志文件已停止写入：%1。直播继续进行；从现在起发生的事情不会记入日志。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>The session file is no longer written: %1. Comments, orders and show events from now on are not kept; the show goes on.</source>
        <translation>场次文件已停止写入：%1。从现在起的评论、订单和节目事件都不会保存；直播继续进行。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>The session file cannot be written for now: %1. Comments, orders and show events wait and are kept as soon as it lets go; close that program. The show goes on.</source>
        <translation>会话文件暂时无法写入：%1。评论、订单和节目事件会等待，锁一解除即保存；请关闭那个程序。节目照常进行。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The session file is written again: what waited is kept.</source>
        <translation>会话文件已恢复写入：等待中的内容均已保存。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The session file %1 was closed before everything was written (another program held it locked, or it did not answer in time): its last comments, orders or show events may be missing from it and from its report.</source>
        <translation>会话文件 %1 在全部写入之前就被关闭了（另一个程序锁定了它，或它没有及时响应）：文件及其报告里可能缺少最后的评论、订单或节目事件。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>The comment and order feeds stopped: %1. No comments or orders arrive in this session; the show goes on.</source>
        <translation>评论和订单数据源已停止：%1。本场次不会再收到评论或订单；直播继续进行。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>The %1 feed cannot be read: %2. No comments or orders arrive from it; AnchorDesk keeps asking.</source>
        <translation>无法读取 %1 数据源：%2。不会收到来自它的评论或订单；AnchorDesk 会继续尝试。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The %1 feed is not answering: no comments or orders arrive from it. AnchorDesk keeps asking.</source>
        <translation>%1 数据源没有响应：收不到它的评论和订单。AnchorDesk 会继续请求。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The %1 feed answers again.</source>
        <translation>%1 数据源已恢复响应。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Live on %1 again: the stream goes out.</source>
        <translation>%1 已恢复直播：推流正常发送。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Not live yet: %1 has not taken the stream: %2. AnchorDesk keeps trying.</source>
        <translation>尚未开播：%1 还没有接收推流：%2。AnchorDesk 会继续尝试。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Not live yet: %1 has not taken the stream. AnchorDesk keeps trying.</source>
        <translation>尚未开播：%1 还没有接收推流。AnchorDesk 会继续尝试。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The stream to %1 stopped: %2. AnchorDesk keeps trying.</source>
        <translation>发往 %1 的推流已中断：%2。AnchorDesk 会继续尝试。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The stream to %1 stopped. AnchorDesk keeps trying.</source>
        <translation>发往 %1 的推流已中断。AnchorDesk 会继续尝试。</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Recording again into %1: its disk has room again. The part of the show while it was full is not recorded.</source>
        <translation>已重新开始录制到 %1：磁盘又有空间了。磁盘已满期间的节目内容没有录下。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>The recording has stopped: only %1 is left on its disk. What was recorded is kept; the show goes on. The recording goes on in a new file as soon as there is space again.</source>
        <translation>录制已停止：磁盘只剩 %1。已录制的内容会保留，直播继续。一旦磁盘有了空间，录制会在新文件中继续。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The recording has stopped: %1. It goes on in a new file as soon as there is space again.</source>
        <translation>录制已停止：%1。一旦磁盘有了空间，录制会在新文件中继续。</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>The recording has stopped: only %1 is left on its disk. What was recorded is kept; the show goes on. Free some space, then press Record again.</source>
        <translation>录制已停止：所在磁盘只剩 %1。已录制的内容都保留着，节目继续进行。请腾出一些空间，然后再次按“录制”。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The recording has stopped: %1</source>
        <translation>录制已停止：%1</translation>
    </message>
    <message numerus="yes">
        <location line="+111"/>
        <source>This show has %Ln product(s): there is no product %1.</source>
        <translation>
            <numerusform>本节目只有 %Ln 个商品，没有第 %1 个商品。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+142"/>
        <source>The settings could not be saved: %1. They apply to this run only.</source>
        <translation>无法保存设置：%1。这些设置仅在本次运行中有效。</translation>
    </message>
    <message>
        <location line="+233"/>
        <source>%1 does not answer (a network disk whose server went away?): it was not opened. The current show goes on.</source>
        <translation>%1 没有响应（网络磁盘的服务器断开了？）：没有打开。当前节目继续。</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>%1 was not opened: the stream went live while it was read. The live show goes on; open it again after the stream.</source>
        <translation>%1 未打开：读取它时已开始直播。当前直播继续进行；请在直播结束后再打开它。</translation>
    </message>
    <message>
        <source>No question to pin yet.</source>
        <translation type="vanished">还没有可置顶的提问。</translation>
    </message>
    <message>
        <source>The session has ended: rehearse again or go live.</source>
        <translation type="vanished">本场已结束：可以再次彩排或开播。</translation>
    </message>
    <message>
        <source>No deal is running.</source>
        <translation type="vanished">没有进行中的秒杀。</translation>
    </message>
    <message>
        <source>Take works in studio mode: nothing is staged.</source>
        <translation type="vanished">“切出”只在导播模式下可用：现在没有预备的内容。</translation>
    </message>
    <message>
        <source>Staging needs studio mode: switch it on first.</source>
        <translation type="vanished">预备需要导播模式：请先开启。</translation>
    </message>
    <message>
        <source>No session is running.</source>
        <translation type="vanished">没有进行中的场次。</translation>
    </message>
    <message>
        <source>This is the last segment: there is no next one.</source>
        <translation type="vanished">这是最后一个环节，没有下一个了。</translation>
    </message>
    <message>
        <source>This is the first segment: there is no previous one.</source>
        <translation type="vanished">这是第一个环节，没有上一个了。</translation>
    </message>
    <message>
        <source>This show has %1 products: there is no product %2.</source>
        <translation type="vanished">本节目只有 %1 个商品，没有第 %2 个商品。</translation>
    </message>
    <message>
        <location line="-384"/>
        <source>The deal price is not a number.</source>
        <translation>秒杀价不是有效数字。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Put a product on screen to start a deal.</source>
        <translation>请先把商品放上画面再开始秒杀。</translation>
    </message>
    <message>
        <location line="+64"/>
        <source>Going live on %1…</source>
        <translation>正在向 %1 开播…</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>Could not go live: %1</source>
        <translation>无法开播：%1</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The stream has stopped; the live session is closed.</source>
        <translation>推流已停止；本场直播的场次已关闭。</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>A new rehearsal has started.</source>
        <translation>新的彩排已开始。</translation>
    </message>
    <message>
        <location line="-411"/>
        <source>Live on %1</source>
        <translation>正在 %1 直播</translation>
    </message>
    <message>
        <location line="+497"/>
        <source>Settings changed: the picture restarts.</source>
        <translation>设置已更改，画面将重新启动。</translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/crash.py" line="+85"/>
        <source>AnchorDesk: unexpected error</source>
        <translation>AnchorDesk：意外错误</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Something went wrong inside AnchorDesk. The picture, the recording and the stream go on; the part of the window that failed may not have updated.</source>
        <translation>AnchorDesk 内部出错了。画面、录制和推流仍在继续；出错的那部分窗口可能没有更新。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>no log file (it could not be written)</source>
        <translation>没有日志文件（无法写入）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The log, to send with a bug report: {path}</source>
        <translation>日志（提交问题报告时请附上）：{path}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Copy details</source>
        <translation>复制详情</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Open log folder</source>
        <translation>打开日志文件夹</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Keep running</source>
        <translation>继续运行</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{count} more errors since; they are in the log.</source>
        <translation>此后又有 {count} 个错误，均已写入日志。</translation>
    </message>
</context>
<context>
    <name>CsvImport</name>
    <message>
        <location filename="../src/anchordesk/showfile/csv_import.py" line="+61"/>
        <source>a CSV file</source>
        <translation>CSV 文件</translation>
    </message>
    <message>
        <location line="+73"/>
        <source>row {row}, column {column}</source>
        <translation>第 {row} 行，{column} 列</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>row {row}</source>
        <translation>第 {row} 行</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>file</source>
        <translation>文件</translation>
    </message>
    <message>
        <location line="+123"/>
        <source>not {encoding} text (byte {byte} at offset {offset}); save the spreadsheet as &apos;CSV UTF-8&apos;</source>
        <translation>不是 {encoding} 文本（偏移 {offset} 处的字节 {byte}）；请把表格另存为“CSV UTF-8”</translation>
    </message>
    <message>
        <location line="-120"/>
        <source>not UTF-8: read as GB18030 (Chinese Windows); check the titles, and prefer saving as &apos;CSV UTF-8&apos;</source>
        <translation>不是 UTF-8：已按 GB18030（中文 Windows）读取；请检查标题，最好另存为“CSV UTF-8”</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>not UTF-8: read as Shift_JIS (Japanese Windows); check the titles, and prefer saving as &apos;CSV UTF-8&apos;</source>
        <translation>不是 UTF-8：已按 Shift_JIS（日文 Windows）读取；请检查标题，最好另存为“CSV UTF-8”</translation>
    </message>
    <message>
        <location line="+222"/>
        <source>{value} is written with more than {limit} characters: write it shorter</source>
        <translation>{value} 的写法超过 {limit} 个字符：请写短一些</translation>
    </message>
    <message>
        <location line="+95"/>
        <source>{path} is larger than {limit} MB</source>
        <translation>{path} 超过 {limit} MB</translation>
    </message>
    <message>
        <location line="+80"/>
        <source>the CSV is empty</source>
        <translation>CSV 文件是空的</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>more than {limit} product rows; a show holds at most {limit} products: import the products of one show</source>
        <translation>商品行超过 {limit} 行；一场直播最多 {limit} 个商品：只导入这一场的商品</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>a cell is longer than {limit} characters: no field of a product is that long</source>
        <translation>有单元格超过 {limit} 个字符：商品的任何字段都不会这么长</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>unreadable CSV: {reason}</source>
        <translation>无法读取的 CSV：{reason}</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>unknown column {name} (ignored); the columns are {known}</source>
        <translation>未知的列 {name}（已忽略）；可用的列为 {known}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>column {name} appears twice</source>
        <translation>列 {name} 出现了两次</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{count} more unknown columns (ignored)</source>
        <translation>另有 {count} 个未知的列（已忽略）</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>the header lacks the columns {missing} (found: {found})</source>
        <translation>表头缺少这些列：{missing}（实际为：{found}）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the header lacks the column {missing} (found: {found})</source>
        <translation>表头缺少列 {missing}（实际为：{found}）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>nothing</source>
        <translation>无</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>{cells} cells, but the header names {columns} columns: the cells after the last one are not read (is a separator inside a cell that is not in quotes?)</source>
        <translation>共 {cells} 个单元格，但表头只有 {columns} 列：最后一列之后的单元格不会读取（是否有单元格含分隔符却没加引号？）</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>{count} more rows with cells past the header&apos;s last column</source>
        <translation>另有 {count} 行在表头最后一列之后还有单元格</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>the CSV has a header but no products</source>
        <translation>CSV 只有表头，没有商品</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>empty</source>
        <translation>为空</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>{value} has too many decimals for a price</source>
        <translation>{value} 的小数位太多，不能作为价格</translation>
    </message>
    <message>
        <source>{value} is out of range: a price is a number from 0 to {limit}</source>
        <translation type="vanished">{value} 超出范围：价格应为 0 到 {limit} 之间的数字</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>not a number: {value}</source>
        <translation>不是数字：{value}</translation>
    </message>
    <message>
        <source>{value} is out of range: stock is a whole number from 0 to {limit}</source>
        <translation type="vanished">{value} 超出范围：库存应为 0 到 {limit} 之间的整数</translation>
    </message>
    <message>
        <location line="-488"/>
        <location line="+510"/>
        <source>not a whole number: {value}</source>
        <translation>不是整数：{value}</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>{value} is written with {sign}, which is not a sign of {currency}: write the price without it, or give the row its currency</source>
        <translation>{value} 带有符号 {sign}，这不是 {currency} 的符号：请去掉符号填写价格，或为该行填写币种</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>{value} is written with {sign}, and other rows with signs of other currencies: add a currency column</source>
        <translation>{value} 带有符号 {sign}，而其他行带有其他币种的符号：请添加币种列</translation>
    </message>
</context>
<context>
    <name>DestinationsPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/destinations_page.py" line="+183"/>
        <location line="+36"/>
        <source>Destinations</source>
        <translation>推流目标</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>&amp;Go live to:</source>
        <translation>开播推流到(&amp;G)：</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+206"/>
        <source>Rehearsal — nothing is pushed</source>
        <translation>彩排 — 不推流</translation>
    </message>
    <message>
        <location line="-205"/>
        <source>A&amp;dd</source>
        <translation>添加(&amp;D)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Remove</source>
        <translation>删除(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Destination</source>
        <translation>推流目标</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Platform:</source>
        <translation>平台(&amp;P)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Server:</source>
        <translation>服务器(&amp;S)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream &amp;key:</source>
        <translation>推流密钥(&amp;K)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Use the platform&apos;s recommended encoder</source>
        <translation>使用平台推荐的编码设置</translation>
    </message>
    <message>
        <location line="+215"/>
        <source>Recommended for %1: %2 kbps at %3p%4 (at most %5 kbps), a keyframe every %6 s, up to %7×%8 at %9 fps.</source>
        <translation>%1 推荐：%3p%4 时 %2 kbps（最高 %5 kbps），每 %6 秒一个关键帧，最高 %7×%8、%9 帧/秒。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>No platform limits are known for a custom server.</source>
        <translation>自定义服务器没有已知的平台限制。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The encoder settings exceed this platform&apos;s guidance:</source>
        <translation>编码设置超出了该平台的建议：</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>This looks like a stream key: put it in the Stream key field.</source>
        <translation>这看起来是推流密钥：请填到“推流密钥”一栏。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 gives a server URL with each broadcast: paste it here.</source>
        <translation>%1 每次开播都会给出服务器地址：请粘贴到这里。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The server&apos;s name in the URL is not a valid host name: each part between two dots has 1 to 63 characters.</source>
        <translation>URL 中的服务器名称不是有效的主机名：两个点之间的每一部分须为 1 到 63 个字符。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The port in the server URL must be a number from 1 to 65535.</source>
        <translation>服务器 URL 中的端口必须是 1 到 65535 之间的数字。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 accepts RTMPS only (rtmps://…).</source>
        <translation>%1 只接受 RTMPS（rtmps://…）。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server URL must start with rtmp:// or rtmps:// and name a host.</source>
        <translation>服务器地址必须以 rtmp:// 或 rtmps:// 开头，并包含主机名。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Stream key (push code) given with the server URL</source>
        <translation>与服务器地址一起给出的推流码</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Paste the stream key from the platform</source>
        <translation>粘贴平台提供的推流密钥</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream key</source>
        <translation>推流密钥</translation>
    </message>
</context>
<context>
    <name>DevicesPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/devices_page.py" line="+109"/>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>&amp;Camera:</source>
        <translation>摄像头(&amp;C)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Automatic (first camera, else test pattern)</source>
        <translation>自动（第一个摄像头，没有则用测试图）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Test pattern</source>
        <translation>测试图</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Video file…</source>
        <translation>视频文件(&amp;V)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Preview:</source>
        <translation>预览：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Camera preview</source>
        <translation>摄像头预览</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Microphone:</source>
        <translation>麦克风(&amp;M)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Default microphone</source>
        <translation>默认麦克风</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Test tone</source>
        <translation>测试音</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No audio</source>
        <translation>无音频</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Level:</source>
        <translation>音量：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Microphone level</source>
        <translation>麦克风音量</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The microphone&apos;s loudest sound, live</source>
        <translation>麦克风实时的最大音量</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>No camera was found; the preview shows the test pattern.</source>
        <translation>没有找到摄像头；预览显示的是测试图。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>“%1” could not be opened; the preview shows the test pattern.</source>
        <translation>无法打开“%1”；预览显示的是测试图。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Video file as camera</source>
        <translation>用视频文件作为摄像头</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Videos (*.mp4 *.mkv *.mov *.webm *.avi);;All files (*)</source>
        <translation>视频 (*.mp4 *.mkv *.mov *.webm *.avi);;所有文件 (*)</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>The microphone could not be opened: %1</source>
        <translation>无法打开麦克风：%1</translation>
    </message>
</context>
<context>
    <name>Disk</name>
    <message>
        <location filename="../src/anchordesk/core/disk.py" line="+65"/>
        <source>the disk holding {path} is full</source>
        <extracomment>The exit code of a run that went on after a writer failed (2 stays a user&apos;s mistake, 1 a run that could not go on at all).</extracomment>
        <translation>存放 {path} 的磁盘已满</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the disk holding {path} is read-only</source>
        <translation>存放 {path} 的磁盘是只读的</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{path} may not be written here (permission denied)</source>
        <translation>无权在此写入 {path}（权限被拒绝）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>the program reading {path} stopped reading it</source>
        <translation>读取 {path} 的程序已停止读取</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+33"/>
        <source>{path} cannot be written ({detail})</source>
        <translation>无法写入 {path}（{detail}）</translation>
    </message>
    <message>
        <location line="-16"/>
        <source>{path} reached the largest file this disk or this program&apos;s limits allow (a FAT32 disk holds at most 4 GB a file)</source>
        <translation>{path} 已达到此磁盘或本程序限制所允许的最大文件大小（FAT32 磁盘的单个文件最大 4 GB）</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>File name too long</source>
        <translation>文件名过长</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No such file or directory</source>
        <translation>没有该文件或文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not a directory</source>
        <translation>不是文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Is a directory</source>
        <translation>是文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Too many levels of symbolic links</source>
        <translation>符号链接层数过多</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Input/output error</source>
        <translation>输入/输出错误</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No such device or address</source>
        <translation>没有该设备或地址</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No such device</source>
        <translation>没有该设备</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Text file busy</source>
        <translation>文件正被使用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Device or resource busy</source>
        <translation>设备或资源忙</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Too many open files</source>
        <translation>打开的文件过多</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Too many open files in system</source>
        <translation>系统中打开的文件过多</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stale file handle</source>
        <translation>文件句柄已失效</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Transport endpoint is not connected</source>
        <translation>传输端点未连接</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>File exists</source>
        <translation>文件已存在</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/media/disk_space.py" line="+69"/>
        <source>the disk holding {path} has less than {size} free</source>
        <extracomment>What a recording leaves free on its disk: about 25 minutes of it, room for the session files and the system. A disk smaller than 20 times this keeps a twentieth of its size free.</extracomment>
        <translation>存放 {path} 的磁盘剩余空间不足 {size}</translation>
    </message>
</context>
<context>
    <name>EncoderPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/encoder_page.py" line="+78"/>
        <source>Encoder</source>
        <translation>编码器</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>x264 (software)</source>
        <translation>x264（软件编码）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Automatic (hardware if available)</source>
        <translation>自动（优先使用硬件编码）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Encoder:</source>
        <translation>编码器(&amp;E)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ca&amp;nvas:</source>
        <translation>画布(&amp;N)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Frame rate (fps):</source>
        <translation>帧率（fps）(&amp;F)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Video bitrate (kbps):</source>
        <translation>视频码率（kbps）(&amp;V)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Audio bitrate (kbps):</source>
        <translation>音频码率（kbps）(&amp;A)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Keyframe interval (s):</source>
        <translation>关键帧间隔（秒）(&amp;K)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recordings fol&amp;der:</source>
        <translation>录制文件夹(&amp;D)：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Record a local copy</source>
        <translation>在本地录制一份(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The Videos folder</source>
        <translation>“视频”文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Folder for recordings</source>
        <translation>录制文件夹</translation>
    </message>
</context>
<context>
    <name>FeedFaults</name>
    <message>
        <location filename="../src/anchordesk/feeds/poller.py" line="+493"/>
        <source>the server&apos;s certificate is not trusted ({why})</source>
        <extracomment>The largest response body read (decoded). A 2000-message YouTube page is ~1 MB and a full Shopify page of 250 orders ~2.5 MB; a bigger body is not a page but a fault or an attack (a 150 MB page once took 860 MB of memory and the picture down to 5 fps). A body in more pieces than this (the chunks of a chunked body, the network&apos;s reads) is not read further: each costs the loop ~10 µs in h11 and httpx, so 2 MB sent as 1-byte chunks held the feeds&apos; loop (the window&apos;s thread) 21 s and took 270 MB, on every poll. A real server&apos;s page arrives in tens to thousands. The whole response (connect, headers, body) must arrive within this many request timeouts. This machine&apos;s own hosts: never asked through a proxy from the environment, as browsers do (the proxy cannot reach this machine&apos;s loopback). Every door of the feeds keeps it: the HTTP client (hub._environment_mounts) and Twitch&apos;s EventSub WebSocket (``goes_direct``). Records (orders) an adapter remembers having read in one window, for ``read_new_records``: past this many, pages read as no progress, so a server inventing records cannot keep the feed asking at once for ever (1,000 GraphQL pages, 400 REST pages). A request&apos;s query: names and values, or pairs when a name comes more than once (``?types[]=order&amp;types[]=comment``; a dict kept the last one only).</extracomment>
        <translation>服务器的证书不受信任（{why}）</translation>
    </message>
</context>
<context>
    <name>FeedHub</name>
    <message>
        <location filename="../src/anchordesk/feeds/hub.py" line="+236"/>
        <source>the certificates cannot be loaded: {name} names {path}, which does not exist (fix or unset it)</source>
        <extracomment>{name} is SSL_CERT_FILE or SSL_CERT_DIR, {path} the file or folder it names</extracomment>
        <translation>无法加载证书：{name} 指向的 {path} 不存在（请改正或取消设置）</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{error} ({kind})</source>
        <translation>{error}（{kind}）</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>the proxy {name} names ({proxy}) has a space or a line break in it: remove it</source>
        <extracomment>{name} is e.g. HTTPS_PROXY, {proxy} its value</extracomment>
        <translation>{name} 指定的代理（{proxy}）中含有空格或换行：请删除</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>the proxy {name} names ({proxy}) cannot be used: {error}; fix or unset it</source>
        <extracomment>{name} is e.g. HTTPS_PROXY, {proxy} its value, {error} why (English)</extracomment>
        <translation>无法使用 {name} 指定的代理（{proxy}）：{error}；请修正或取消设置</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>the proxy {name} names ({proxy}) is not an http:// or https:// address: fix or unset it</source>
        <extracomment>{name} is e.g. HTTPS_PROXY, {proxy} its value</extracomment>
        <translation>{name} 指定的代理（{proxy}）不是 http:// 或 https:// 地址：请修正或取消设置</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>the proxy {name} names ({proxy}) is a SOCKS proxy, which AnchorDesk cannot use: name an HTTP proxy there, or unset it</source>
        <extracomment>{name} is e.g. ALL_PROXY, {proxy} its value</extracomment>
        <translation>{name} 指定的代理（{proxy}）是 SOCKS 代理，AnchorDesk 无法使用：请改为 HTTP 代理，或取消设置</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>{name} holds an entry that is no host name or address ({entry}): fix or remove it</source>
        <extracomment>{name} is NO_PROXY or no_proxy, {entry} the entry that cannot be read</extracomment>
        <translation>{name} 中有一项不是主机名或地址（{entry}）：请改正或删除它</translation>
    </message>
</context>
<context>
    <name>FeedKinds</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/feeds_page.py" line="+53"/>
        <source>YouTube chat</source>
        <translation>YouTube 聊天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shopify orders</source>
        <translation>Shopify 订单</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Twitch chat</source>
        <translation>Twitch 聊天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>JSON feed (comments and orders)</source>
        <translation>JSON 数据源（评论和订单）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Simulated audience (rehearsal)</source>
        <translation>模拟观众（彩排）</translation>
    </message>
</context>
<context>
    <name>FeedUrl</name>
    <message>
        <location filename="../src/anchordesk/feeds/spec.py" line="+47"/>
        <source>a URL is needed</source>
        <translation>需要填写地址</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the URL must start with wss:// (or ws://)</source>
        <translation>地址必须以 wss://（或 ws://）开头</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the URL must start with http:// or https://</source>
        <translation>地址必须以 http:// 或 https:// 开头</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the URL names no server after //</source>
        <translation>地址里 // 之后没有服务器名</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the URL holds a byte that is not UTF-8 text (copied from a file in another encoding?)</source>
        <translation>网址中有一个不是 UTF-8 文本的字节（是从另一种编码的文件中复制的吗？）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>the port {value} is not a number from 1 to 65535</source>
        <translation>端口 {value} 不是 1 到 65535 之间的数字</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>the token is sent unencrypted (no https://): anyone on the network between can read it; use https:// if the server offers it</source>
        <translation>令牌以未加密方式发送（不是 https://）：网络中的任何人都能读取它；如果服务器支持，请使用 https://</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>an IPv6 address in a URL is written in [brackets]</source>
        <translation>地址里的 IPv6 地址要写在方括号 [ ] 里</translation>
    </message>
    <message>
        <location line="-40"/>
        <source>the URL holds a control character at character {value}</source>
        <translation>地址的第 {value} 个字符是控制字符</translation>
    </message>
    <message>
        <location line="-49"/>
        <source>{value} is not an IP address</source>
        <translation>{value} 不是有效的 IP 地址</translation>
    </message>
    <message>
        <location line="+99"/>
        <source>the server name {value} is not a valid domain name</source>
        <translation>服务器名 {value} 不是有效的域名</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the URL is too long</source>
        <translation>地址太长</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>not a usable URL ({reason})</source>
        <translation>无法使用的地址（{reason}）</translation>
    </message>
</context>
<context>
    <name>FeedsPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/feeds_page.py" line="+69"/>
        <location line="+68"/>
        <source>Feeds</source>
        <translation>数据源</translation>
    </message>
    <message>
        <location line="-46"/>
        <source>Feed %1: %2</source>
        <translation>数据源 %1：%2</translation>
    </message>
    <message>
        <source>Feed %1: the URL must start with wss:// (or ws://).</source>
        <translation type="vanished">数据源 %1：地址必须以 wss://（或 ws://）开头。</translation>
    </message>
    <message>
        <source>Feed %1: the URL must start with http:// or https://.</source>
        <translation type="vanished">数据源 %1：地址必须以 http:// 或 https:// 开头。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>The token is in the URL&apos;s path: put it in the Token field and keep ;token= with nothing after it.</source>
        <translation>令牌在 URL 的路径中：请把它填入“令牌”栏，并保留 ;token=，其后不填任何内容。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The URL holds a token or a password: put the token in the Token field, and keep the URL without it.</source>
        <translation>地址里含有令牌或密码：请把令牌填到“令牌”一栏，地址里不要带它。</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>A&amp;dd</source>
        <translation>添加(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Remove</source>
        <translation>删除(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Feed</source>
        <translation>数据源</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Kind:</source>
        <translation>类型(&amp;K)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;URL:</source>
        <translation>地址(&amp;U)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Token:</source>
        <translation>令牌(&amp;T)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Enabled</source>
        <translation>启用(&amp;E)</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+26"/>
        <source>Access token</source>
        <translation>访问令牌</translation>
    </message>
    <message>
        <location line="-25"/>
        <location line="+26"/>
        <source>Token, if the feed needs one</source>
        <translation>令牌（如果数据源需要）</translation>
    </message>
</context>
<context>
    <name>FileDialogs</name>
    <message>
        <location filename="../src/anchordesk/ui/file_dialogs.py" line="+105"/>
        <source>Drive</source>
        <extracomment>How long a typed file&apos;s disk may take to say what the name is (a local disk: microseconds; a network share whose server went away: for ever).</extracomment>
        <translation>驱动器</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Special file</source>
        <translation>特殊文件</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location line="+178"/>
        <source>%1 is a file, not a folder. Choose a folder.</source>
        <translation>%1 是文件，不是文件夹。请选择一个文件夹。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 does not exist. Check the name and its folder.</source>
        <translation>%1 不存在。请检查名称和所在文件夹。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 cannot be read: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+89"/>
        <source>%1 does not answer (a network disk whose server went away?). Choose one on another disk.</source>
        <translation>%1 没有响应（网络磁盘的服务器断开了？）。请选择其他磁盘上的位置。</translation>
    </message>
    <message>
        <location line="-77"/>
        <source>%1 already exists. Do you want to replace it?</source>
        <translation>%1 已存在。要替换它吗？</translation>
    </message>
</context>
<context>
    <name>FramePreview</name>
    <message>
        <location filename="../src/anchordesk/ui/preview.py" line="+143"/>
        <source>No picture yet</source>
        <translation>暂无画面</translation>
    </message>
</context>
<context>
    <name>GeneralPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/general_page.py" line="+34"/>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>System language</source>
        <translation>跟随系统语言</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream keys:</source>
        <translation>推流密钥：</translation>
    </message>
</context>
<context>
    <name>GoLiveDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/golive.py" line="+214"/>
        <location line="+12"/>
        <location line="+1"/>
        <source>Go live</source>
        <translation>开播</translation>
    </message>
    <message>
        <location line="-12"/>
        <source>&amp;Destination</source>
        <translation>推流目标(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Destination</source>
        <translation>推流目标</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Record a local copy</source>
        <translation>在本地录制一份(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Record a local copy</source>
        <translation>同时在本地录制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>C&amp;ontinue the run sheet from the current segment</source>
        <translation>从当前环节继续流程单(&amp;O)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Continue the run sheet from the current segment</source>
        <translation>开播后从当前环节继续流程单</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pre-flight checks</source>
        <translation>开播前检查</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Check &amp;again</source>
        <translation>重新检查(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enter the stream &amp;key…</source>
        <translation>输入推流密钥(&amp;K)…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No destination is set up. Add one in Settings, or keep rehearsing.</source>
        <translation>尚未设置推流目标。请在设置中添加，或继续彩排。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Microphone</source>
        <translation>麦克风</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Encoder</source>
        <translation>编码器</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream key</source>
        <translation>推流密钥</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Destination reachable</source>
        <translation>推流目标可连接</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show compliance</source>
        <translation>节目合规</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recording</source>
        <translation>录制</translation>
    </message>
    <message>
        <location line="+64"/>
        <source>no server is named %1: check the server URL</source>
        <translation>找不到名为 %1 的服务器：请检查服务器地址</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the name %1 could not be looked up: is this computer online?</source>
        <translation>无法解析域名 %1：这台电脑联网了吗？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 refused the connection: the server is down or the port is wrong</source>
        <translation>%1 拒绝了连接：服务器未运行或端口不对</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>no answer from %1 within %2 s</source>
        <translation>%1 在 %2 秒内没有应答</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no network route to %1: is this computer online?</source>
        <translation>没有通往 %1 的网络路径：这台电脑联网了吗？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 answered, but the secure connection (TLS) failed: is it an rtmps:// server?</source>
        <translation>%1 有应答，但安全连接（TLS）失败：它是 rtmps:// 服务器吗？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 took the connection but did not answer the secure (TLS) handshake within %2 s: is it an rtmps:// server?</source>
        <translation>%1 接受了连接，但在 %2 秒内没有回应安全（TLS）握手：它是 rtmps:// 服务器吗？</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>%1 could not be reached (the log says why)</source>
        <translation>无法连接 %1（原因见日志）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the test pattern is chosen in Settings: viewers would see colour bars</source>
        <translation>设置里选的是测试图：观众会看到彩条</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the camera %1 chosen in Settings cannot be opened: viewers would see the test pattern</source>
        <translation>无法打开设置中选择的摄像头 %1：观众会看到测试图</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no camera was found: viewers would see the test pattern</source>
        <translation>没有找到摄像头：观众会看到测试图</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 is not sending pictures</source>
        <translation>%1 没有画面</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the camera</source>
        <translation>摄像头</translation>
    </message>
    <message numerus="yes">
        <location line="+11"/>
        <source>%Ln word(s) to avoid on air:</source>
        <translation>
            <numerusform>%Ln 处直播中应避免的用语：</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 word(s) to avoid on air:</source>
        <translation type="vanished">%1 处直播中应避免的用语：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no banned or absolute terms</source>
        <translation>没有违禁词或极限词</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>its disk has only %1 free: the live show is not recorded until there is room</source>
        <translation>其磁盘只剩 %1：在腾出空间之前，直播不会被录制</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the rehearsal&apos;s recording stopped: %1. The live show is not recorded until that is solved</source>
        <translation>彩排时的录制已停止：%1。在问题解决之前，直播不会被录制</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Test pattern</source>
        <translation>测试图</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Test tone</source>
        <translation>测试音</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No audio</source>
        <translation>无音频</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Default microphone</source>
        <translation>默认麦克风</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1: no sound comes in</source>
        <translation>%1：没有声音输入</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the test tone is chosen in Settings: viewers would hear a beep, not you</source>
        <translation>设置里选的是测试音：观众会听到哔声，而不是你的声音</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the microphone %1 chosen in Settings cannot be opened: viewers would hear the test tone</source>
        <translation>无法打开设置中选择的麦克风 %1：观众会听到测试音</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>no microphone was found: viewers would hear the test tone</source>
        <translation>没有找到麦克风：观众会听到测试音</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 is muted</source>
        <translation>%1 已静音</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 is silent: speak to check that it picks you up</source>
        <translation>%1 没有声音：请说句话，确认能收到声音</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1, level %2 dB</source>
        <translation>%1，音量 %2 dB</translation>
    </message>
    <message>
        <location line="-175"/>
        <location line="+1"/>
        <source>no destination</source>
        <translation>没有推流目标</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>the server URL names no host</source>
        <translation>服务器地址中没有主机名</translation>
    </message>
</context>
<context>
    <name>HealthPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/health.py" line="-165"/>
        <location line="+1"/>
        <source>Reconnect now</source>
        <translation>立即重连</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bitrate over the last minute</source>
        <translation>最近一分钟的码率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Frame rate</source>
        <translation>帧率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recording</source>
        <translation>录制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dropped frames</source>
        <translation>丢帧</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Rehearsal: nothing is pushed</source>
        <translation>彩排中：不推流</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Live</source>
        <translation>直播中</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reconnecting (attempt %1)</source>
        <translation>正在重连（第 %1 次）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>next try in %1 s</source>
        <translation>%1 秒后重试</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>%1 free</source>
        <translation>可用 %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>capture</source>
        <translation>采集</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>render</source>
        <translation>渲染</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>encode</source>
        <translation>编码</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>network</source>
        <translation>网络</translation>
    </message>
</context>
<context>
    <name>HotkeyDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/hotkeys.py" line="+240"/>
        <location line="+1"/>
        <source>Keyboard shortcuts</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Shortcuts</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Command</source>
        <translation>命令</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Shortcut</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>“%1” and “%2” have the same shortcut.</source>
        <translation>“%1”和“%2”的快捷键相同。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The shortcuts were not saved: another program is writing the window&apos;s settings file. Try again in a moment.</source>
        <translation>快捷键未保存：另一个程序正在写入窗口的设置文件。请稍后再试。</translation>
    </message>
</context>
<context>
    <name>Hotkeys</name>
    <message>
        <location line="-260"/>
        <source>Put product %1 on screen</source>
        <translation>上架第 %1 个商品到画面</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&amp;Next segment</source>
        <translation>下一个环节(&amp;N)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Previous segment</source>
        <translation>上一个环节(&amp;P)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Take the product &amp;off screen</source>
        <translation>撤下画面上的商品(&amp;O)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Start or stop the flash &amp;deal</source>
        <translation>开始或停止秒杀(&amp;D)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>P&amp;in the selected comment</source>
        <translation>置顶选中的评论(&amp;I)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Unpin the comment</source>
        <translation>取消置顶评论(&amp;U)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Take the staged card</source>
        <translation>切出预备卡片(&amp;T)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Go live / stop</source>
        <translation>开播 / 停播(&amp;G)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Show the &amp;teleprompter</source>
        <translation>显示提词器(&amp;T)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Pin the &amp;latest question</source>
        <translation>置顶最新的提问(&amp;L)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Mark the question &amp;answered</source>
        <translation>标记提问已回答(&amp;A)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Studio mode</source>
        <translation>导播模式(&amp;S)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;End rehearsal</source>
        <translation>结束彩排(&amp;E)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Record</source>
        <translation>录制(&amp;R)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Searc&amp;h the comments</source>
        <translation>搜索评论(&amp;H)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Messages of this run…</source>
        <translation>本次运行的消息(&amp;M)…</translation>
    </message>
</context>
<context>
    <name>JsonKinds</name>
    <message>
        <location filename="../src/anchordesk/core/json_kinds.py" line="+11"/>
        <source>an object</source>
        <translation>对象</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a list</source>
        <translation>列表</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a text</source>
        <translation>文本</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a number</source>
        <translation>数字</translation>
    </message>
</context>
<context>
    <name>Keyring</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/keyring_text.py" line="+19"/>
        <source>Stream keys and tokens are kept in the system keyring.</source>
        <translation>推流密钥和令牌保存在系统钥匙串中。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No system keyring was found on this computer, so stream keys and tokens are kept for this run only: after AnchorDesk closes they must be typed again. To keep them, install a keyring (GNOME Keyring or KWallet on Linux; macOS and Windows have one) and restart AnchorDesk.</source>
        <translation>这台电脑上没有找到系统密钥环，所以推流密钥和令牌只保存到本次运行结束：关闭 AnchorDesk 后需要重新输入。要长期保存，请安装密钥环（Linux 上可用 GNOME Keyring 或 KWallet；macOS 和 Windows 自带），然后重启 AnchorDesk。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The system keyring did not answer or refused access (it may be locked), so stream keys and tokens are kept for this run only: after AnchorDesk closes they must be typed again. Unlock the keyring and restart AnchorDesk to keep them.</source>
        <translation>系统密钥环没有响应或拒绝访问（可能已锁定），所以推流密钥和令牌只保存到本次运行结束：关闭 AnchorDesk 后需要重新输入。要长期保存，请解锁密钥环并重启 AnchorDesk。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>missing: no system keyring on this computer, so keys last one run only. Type it again in Settings (or install a keyring to keep it).</source>
        <translation>缺少：这台电脑没有系统密钥环，密钥只保存一次运行。请在“设置”里重新输入（或安装密钥环以便保存）。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>missing: the system keyring did not answer (it may be locked). Unlock it, or type the key again in Settings for this run.</source>
        <translation>缺少：系统密钥环没有响应（可能已锁定）。请解锁它，或在“设置”里重新输入本次使用的密钥。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>missing: no key is saved for this destination. Type it in Settings.</source>
        <translation>缺少：这个推流目标没有保存密钥。请在“设置”里输入。</translation>
    </message>
</context>
<context>
    <name>LiveShow</name>
    <message>
        <location filename="../src/anchordesk/live/show.py" line="+119"/>
        <source>no product card is on air: there is nothing to take off</source>
        <translation>没有正在播出的商品卡片，无需撤下</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>no comment is pinned</source>
        <translation>没有置顶的评论</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>that comment has no text to show: there is nothing to pin</source>
        <translation>该评论没有可显示的文字，无需置顶</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>nothing is being streamed: there is nothing to reconnect</source>
        <translation>当前没有推流，无需重连</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>nothing is staged that is not on air already</source>
        <translation>除正在播出的之外，没有待播的内容</translation>
    </message>
    <message>
        <location line="+124"/>
        <source>a session is still running: end it first</source>
        <extracomment>What closing the window may take (of the 2 s a stop may take, as ``anchordesk live``&apos;s STOP_BUDGET_S): the recording&apos;s trailer and the session&apos;s file are finished within it and a network child that has not finished is killed. The session store&apos;s close is given at least this long (its last orders are worth it). A recordings folder that did not answer when a session&apos;s file was to be made there (a network share whose server went away): that session is not recorded. How long starting a session waits for its recording&apos;s file (None: the folder&apos;s deadline); the recording is attached whenever it comes. The window waits not at all.</extracomment>
        <translation>还有场次在进行：请先结束它</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>a new session is a rehearsal or a live show</source>
        <translation>新场次只能是彩排或直播</translation>
    </message>
    <message>
        <location line="+274"/>
        <source>this show has no network output to go live on</source>
        <translation>本节目没有可用于开播的网络输出</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>already live</source>
        <translation>已经在直播</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>the show is live: stop the stream first</source>
        <translation>正在直播：请先停止推流</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>no show is open</source>
        <translation>没有打开的节目</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>{title} is the last segment: there is no next one</source>
        <translation>「{title}」是最后一个环节：后面没有环节了</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{title} is the first segment: there is no previous one</source>
        <translation>「{title}」是第一个环节：前面没有环节了</translation>
    </message>
    <message>
        <location line="+24"/>
        <location filename="../src/anchordesk/show/state.py" line="+529"/>
        <source>no product with SKU {sku} in this show</source>
        <translation>本节目没有货号为 {sku} 的商品</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>staging needs studio mode: switch studio mode on first</source>
        <translation>预备需要导播模式：请先开启导播模式</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Take works in studio mode: nothing is staged</source>
        <translation>“切出”只在导播模式下可用：现在没有预备的内容</translation>
    </message>
    <message>
        <source>deal price {price}: must be a positive amount</source>
        <translation type="vanished">秒杀价 {price}：必须是正数金额</translation>
    </message>
    <message>
        <source>deal seconds {seconds}: must be positive</source>
        <translation type="vanished">秒杀时长 {seconds}：必须大于零</translation>
    </message>
    <message>
        <source>deal stock {stock}: must be positive</source>
        <translation type="vanished">秒杀库存 {stock}：必须大于零</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>{sku} is sold out: no deal can start on it</source>
        <translation>{sku} 已售罄：无法开始秒杀</translation>
    </message>
    <message>
        <location line="+16"/>
        <location filename="../src/anchordesk/show/state.py" line="-446"/>
        <source>no live deal to stop</source>
        <translation>没有进行中的秒杀</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>no session is running</source>
        <translation>没有进行中的场次</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>no comment {key} (it may be too old to pin)</source>
        <translation>找不到评论 {key}（可能太早，已无法置顶）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>that comment is hidden</source>
        <translation>该评论已隐藏</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>no question to pin yet</source>
        <translation>还没有可置顶的提问</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>no comment {key} (it may be too old to hide)</source>
        <translation>找不到评论 {key}（可能太早，已无法隐藏）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>that comment is hidden already</source>
        <translation>该评论已被隐藏</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>no prompt {key} on the board</source>
        <translation>看板上没有提示 {key}</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/show/state.py" line="-28"/>
        <source>the show has no segments in its rundown</source>
        <translation>节目的流程单里没有环节</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the session has ended: rehearse again or go live</source>
        <translation>本场已结束：可以再次彩排或开播</translation>
    </message>
    <message>
        <source>no segment {number}: the rundown has {count}</source>
        <translation type="vanished">没有第 {number} 个环节：流程单共有 {count} 个</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>no live deal on {sku}</source>
        <translation>{sku} 没有进行中的秒杀</translation>
    </message>
    <message>
        <location line="-25"/>
        <source>no product on screen to start a deal on</source>
        <translation>画面上没有商品，无法开始秒杀</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>no segment at index {index}: the rundown&apos;s segments are 0 to {last}</source>
        <translation>没有索引为 {index} 的环节：流程单的环节索引是 0 到 {last}</translation>
    </message>
    <message>
        <location line="+528"/>
        <source>the show plans no deal for {sku}: give price and seconds</source>
        <translation>节目没有为 {sku} 安排秒杀：请填写价格和秒数</translation>
    </message>
    <message>
        <source>deal price {price} is not a valid amount</source>
        <translation type="vanished">秒杀价 {price} 不是有效金额</translation>
    </message>
    <message>
        <source>deal price {price} must be below the list price {list_price} of {sku}</source>
        <translation type="vanished">秒杀价 {price} 必须低于 {sku} 的原价 {list_price}</translation>
    </message>
    <message>
        <source>a deal must last at least one second</source>
        <translation type="vanished">秒杀至少要持续一秒</translation>
    </message>
    <message>
        <source>a deal&apos;s stock must be above zero (or unset)</source>
        <translation type="vanished">秒杀库存必须大于零（或不设）</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/words.py" line="+50"/>
        <source>{refusal}.</source>
        <translation>{refusal}。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../src/anchordesk/ui/main_window.py" line="+301"/>
        <source>Take works in studio mode: press %1 to switch it on.</source>
        <translation>“切出”只在导播模式下可用：按 %1 开启导播模式。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The recording cannot be switched off while live.</source>
        <translation>直播中不能关闭录制。</translation>
    </message>
    <message>
        <location line="+144"/>
        <source>Run sheet</source>
        <translation>流程单</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Comments</source>
        <translation>评论</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Orders and sales</source>
        <translation>订单与销售</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream health</source>
        <translation>推流状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+45"/>
        <source>Teleprompter</source>
        <translation>提词器</translation>
    </message>
    <message>
        <location line="-44"/>
        <source>Data board</source>
        <translation>数据看板</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Show or hide &amp;panels</source>
        <translation>显示或隐藏面板(&amp;P)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open &amp;recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Show</source>
        <translation>节目(&amp;S)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pr&amp;oducts</source>
        <translation>商品(&amp;O)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Record a local copy (%1)</source>
        <translation>同时在本地录制（%1）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Re&amp;connect now</source>
        <translation>立即重连(&amp;C)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stage the next card in a preview, then take it (%1)</source>
        <translation>先在预览中准备下一张卡片，再切出（%1）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Rehearse a&amp;gain</source>
        <translation>再次彩排(&amp;G)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>◀ Previous</source>
        <translation>◀ 上一个</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next ▶</source>
        <translation>下一个 ▶</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Flash deal</source>
        <translation>秒杀</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Studio</source>
        <translation>导播</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Take</source>
        <translation>切出</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>&amp;Reset the layout</source>
        <translation>重置布局(&amp;R)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>STAGED — %1 takes it on air</source>
        <translation>预备中 — 按 %1 切出</translation>
    </message>
    <message>
        <location line="+69"/>
        <source>Prompt: %1</source>
        <translation>提示：%1</translation>
    </message>
    <message>
        <location line="+104"/>
        <source>Stage “%1”</source>
        <translation>预备“%1”</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Put “%1” on screen</source>
        <translation>把“%1”放上画面</translation>
    </message>
    <message>
        <source>This show has %1 products: there is no product %2.</source>
        <translation type="vanished">本节目只有 %1 个商品，没有第 %2 个商品。</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>The show is live: stop streaming to end it.</source>
        <translation>正在直播：请先停播再结束。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The session has ended already: rehearse again or go live.</source>
        <translation>本场已结束：可以再次彩排或开播。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>No product is on screen.</source>
        <translation>画面上没有商品。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Select a comment to pin first, or press %1 to pin the latest question.</source>
        <translation>请先选中要置顶的评论，或按 %1 置顶最新的提问。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>No comment is pinned.</source>
        <translation>没有置顶的评论。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>No question is pinned: press %1 to pin the latest one.</source>
        <translation>没有置顶的提问：按 %1 置顶最新的提问。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Answered: %1</source>
        <translation>已回答：%1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Nothing is being streamed: there is nothing to reconnect.</source>
        <translation>当前没有推流，无需重连。</translation>
    </message>
    <message>
        <location line="+133"/>
        <source>%1 cannot be opened as a show (see below). The current show goes on; open a show file.</source>
        <translation>无法将 %1 作为节目打开（见下文）。当前节目继续进行；请打开一个节目文件。</translation>
    </message>
    <message>
        <location line="-439"/>
        <source>S&amp;tream</source>
        <translation>推流(&amp;T)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Open show…</source>
        <translation>打开节目(&amp;O)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Edit show…</source>
        <translation>编辑节目(&amp;E)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Record</source>
        <translation>录制</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>End rehearsal</source>
        <translation>结束彩排</translation>
    </message>
    <message>
        <location line="-325"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Your settings could not be read: %1. AnchorDesk started with the default settings.</source>
        <translation>无法读取你的设置：%1。AnchorDesk 已使用默认设置启动。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Settings: %1.</source>
        <translation>设置：%1。</translation>
    </message>
    <message>
        <location line="+313"/>
        <source>Rehearse again</source>
        <translation>再次彩排</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Keyboard shortcuts…</source>
        <translation>快捷键(&amp;K)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;About AnchorDesk</source>
        <translation>关于 AnchorDesk(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>System language</source>
        <translation>跟随系统语言</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Program preview</source>
        <translation>节目输出预览</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Staged preview</source>
        <translation>预备画面预览</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PROGRAM</source>
        <translation>输出</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Main toolbar</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>More toolbar buttons</source>
        <translation>更多工具栏按钮</translation>
    </message>
    <message>
        <location line="+89"/>
        <location line="+203"/>
        <source>Stop streaming</source>
        <translation>停止推流</translation>
    </message>
    <message>
        <location line="-203"/>
        <source>Go live…</source>
        <translation>开播…</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>LIVE — reconnecting (attempt %1)</source>
        <translation>直播中 — 正在重连（第 %1 次）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>LIVE</source>
        <translation>直播中</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Session ended — rehearse again or go live</source>
        <translation>场次已结束 — 可再次彩排或开播</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Rehearsal — simulated audience, nothing is pushed</source>
        <translation>彩排 — 模拟观众，不推流</translation>
    </message>
    <message numerus="yes">
        <location line="+53"/>
        <source>This show has %Ln product(s): there is no product %1.</source>
        <translation>
            <numerusform>本节目只有 %Ln 个商品，没有第 %1 个商品。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+106"/>
        <source>Stop the stream now? Viewers will see the stream end.</source>
        <translation>现在停止推流吗？观众会看到直播结束。</translation>
    </message>
    <message>
        <location line="+63"/>
        <location line="+24"/>
        <source>Open show</source>
        <translation>打开节目</translation>
    </message>
    <message>
        <location line="-24"/>
        <source>Show files (*.json)</source>
        <translation>节目文件 (*.json)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>%1 cannot be opened: it has the problems below. The current show goes on; fix the file in the show editor and open it again.</source>
        <translation>无法打开 %1：它有以下问题。当前节目继续进行；请在节目编辑器中修改文件后再打开。</translation>
    </message>
    <message>
        <source>%1 cannot be opened: it is not a show file (see below). The current show goes on; open a show file.</source>
        <translation type="vanished">无法打开 %1：它不是节目文件（见下文）。当前节目继续进行；请打开一个节目文件。</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>%1 cannot be opened: the sample show is running.</source>
        <translation>无法打开 %1：正在运行示例节目。</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>No recent shows</source>
        <translation>没有最近打开的节目</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Show saved. It will be used the next time the show is opened.</source>
        <translation>节目已保存，下次打开该节目时生效。</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>About AnchorDesk</source>
        <translation>关于 AnchorDesk</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>AnchorDesk %1 — the control room of a live-commerce show.</source>
        <translation>AnchorDesk %1 — 直播带货的中控台。</translation>
    </message>
    <message>
        <location line="+112"/>
        <source>Quit while live</source>
        <translation>直播中退出</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The stream is live. Stop streaming and quit?</source>
        <translation>正在直播。要停止推流并退出吗？</translation>
    </message>
</context>
<context>
    <name>MessagesDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/messages.py" line="+105"/>
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No message yet this run.</source>
        <translation>本次运行还没有消息。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Messages of this run</source>
        <translation>本次运行的消息</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Copy all</source>
        <translation>全部复制(&amp;C)</translation>
    </message>
</context>
<context>
    <name>Network</name>
    <message>
        <location filename="../src/anchordesk/media/network_output.py" line="+133"/>
        <source>cannot start the network process: {error}</source>
        <translation>无法启动网络进程：{error}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>cannot start the stream: {error}</source>
        <translation>无法开始推流：{error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the network process did not start within {seconds} s</source>
        <translation>网络进程未在 {seconds} 秒内启动</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the server stopped taking the stream (nothing read for {seconds} s)</source>
        <translation>服务器不再接收推流（{seconds} 秒内未读取任何数据）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>this program&apos;s TLS relay stopped taking the stream (nothing read for {seconds} s)</source>
        <translation>本程序的 TLS 中继不再接收推流（{seconds} 秒内未读取任何数据）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>stalled: no progress for {seconds} s</source>
        <translation>已停滞：{seconds} 秒内没有进展</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the server closed the connection</source>
        <translation>服务器关闭了连接</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the network process ended with code {code}</source>
        <translation>网络进程已结束，退出码 {code}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the network process was ended by the signal {signal} (killed from outside)</source>
        <translation>网络进程被信号 {signal} 结束（被外部强制终止）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>uplink too slow: dropped {frames} frames, delay kept under {seconds} s</source>
        <translation>上行网速太慢：已丢弃 {frames} 帧，延迟保持在 {seconds} 秒以内</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>uplink too slow: dropped {frames} frames, delay up to {seconds} s</source>
        <translation>上行网速太慢：已丢弃 {frames} 帧，延迟最多 {seconds} 秒</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/media/network_watch.py" line="+128"/>
        <source>the server closed the connection ({why}: it went down, restarted or dropped the stream)</source>
        <extracomment>How the network child&apos;s own certificate check begins its refusal (network_child): a complete reason, never wrapped as a handshake failure.</extracomment>
        <translation>服务器关闭了连接（{why}：服务器已停机、重启或丢弃了推流）</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{reason}</source>
        <translation>{reason}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>broken pipe</source>
        <translation>管道已断开</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>connection reset by peer</source>
        <translation>连接被对方重置</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>end of file</source>
        <translation>数据已结束</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>network is unreachable</source>
        <translation>网络不可达</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>network is down</source>
        <translation>网络已断开</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no route to host</source>
        <translation>没有通往该主机的路由</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>host is unreachable</source>
        <translation>主机不可达</translation>
    </message>
    <message>
        <location line="+123"/>
        <source>the server ended the stream: {error}</source>
        <extracomment>How long an RTMP handshake may go unanswered before the server&apos;s port is looked at.</extracomment>
        <translation>服务器结束了推流：{error}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>the server reset the connection ({why}) when asked for the application (&apos;{application}&apos;): check the application in the URL&apos;s path and the stream key; a firewall or proxy in between can do this too</source>
        <translation>服务器在请求连接应用（&apos;{application}&apos;）时重置了连接（{why}）：请检查 URL 路径中的应用名称和推流码；中间的防火墙或代理也可能这样做</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server reset the connection ({why}) when asked for the stream: check the stream key and the application name in the URL; a firewall or proxy in between can do this too</source>
        <translation>服务器在请求推流时重置了连接（{why}）：请检查推流码和 URL 中的应用名称；中间的防火墙或代理也可能这样做</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>the server ended the TLS connection: {alert}</source>
        <translation>服务器结束了 TLS 连接：{alert}</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>the server asks for a user name and a password: put them in the URL (rtmp://USER:PASSWORD@HOST/…)</source>
        <translation>服务器要求用户名和密码：请把它们写进 URL（rtmp://用户名:密码@主机/…）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>the server refused the stream: {error} (another program is streaming with this key, or the server still holds this program&apos;s earlier connection until its timeout)</source>
        <translation>服务器拒绝了推流：{error}（另一个程序正在用此推流码推流，或服务器在超时前仍保留着本程序先前的连接）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server refused the stream: {error} (check the stream key and the application name in the URL)</source>
        <translation>服务器拒绝了推流：{error}（请检查推流码和 URL 中的应用名称）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>this is a web server, not an RTMP server (it answered &quot;{answer}&quot;): check the address and port</source>
        <translation>这是 Web 服务器，不是 RTMP 服务器（它的回答是“{answer}”）：请检查地址和端口</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>the server&apos;s answer is not RTMP (is there an RTMP server at this address and port?)</source>
        <translation>服务器的应答不是 RTMP（此地址和端口上是 RTMP 服务器吗？）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server sent an RTMP message that cannot be read ({error}): a fault of the server or of a proxy in between, not of the stream key</source>
        <translation>服务器发送了无法读取的 RTMP 消息（{error}）：这是服务器或中间代理的故障，与推流码无关</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server&apos;s name was not found: {host} ({why}; check the URL)</source>
        <translation>找不到服务器名称：{host}（{why}；请检查 URL）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>nothing is listening at {address} (connection refused: check the port, or the server is down)</source>
        <translation>{address} 上没有服务在监听（连接被拒绝：请检查端口，或服务器已停机）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>this computer cannot reach {address} ({why}: check that it is online, and any VPN or firewall in between)</source>
        <translation>这台电脑无法连到 {address}（{why}：请检查它是否联网，以及中间的 VPN 或防火墙）</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>no answer within {seconds} s</source>
        <translation>{seconds} 秒内没有应答</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the TLS handshake failed: {detail} (is this an RTMPS port? rtmps:// needs the server&apos;s TLS port, often 443)</source>
        <translation>TLS 握手失败：{detail}（这是 RTMPS 端口吗？rtmps:// 需要服务器的 TLS 端口，通常是 443）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>could not reach the server within {seconds} s</source>
        <translation>{seconds} 秒内无法连到服务器</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the server did not answer the request to connect to the application within {seconds} s (check the application name in the URL, and that this port is the server&apos;s RTMP port)</source>
        <translation>服务器在 {seconds} 秒内没有回应连接应用的请求（请检查 URL 中的应用名称，以及此端口是否为服务器的 RTMP 端口）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server did not accept the stream within {seconds} s (check the stream key and the application name in the URL)</source>
        <translation>服务器在 {seconds} 秒内没有接受推流（请检查推流码和 URL 中的应用名称）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>no answer from the server within {seconds} s</source>
        <translation>服务器在 {seconds} 秒内没有应答</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the server broke off the RTMP handshake (if this is an RTMPS port, use rtmps://)</source>
        <translation>服务器中断了 RTMP 握手（如果这是 RTMPS 端口，请使用 rtmps://）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>the server broke off the RTMP handshake</source>
        <translation>服务器中断了 RTMP 握手</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>the server closed the connection when asked for the application (&apos;{application}&apos;): check the application in the URL&apos;s path and the stream key</source>
        <translation>服务器在请求连接应用（&apos;{application}&apos;）时关闭了连接：请检查 URL 路径中的应用名称和推流码</translation>
    </message>
    <message>
        <source>the server refused the stream: check the application in the URL&apos;s path (&apos;{application}&apos;) and the stream key</source>
        <translation type="vanished">服务器拒绝了推流：请检查 URL 路径中的应用名称（&apos;{application}&apos;）和推流码</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server refused the stream (check the stream key and the application name in the URL)</source>
        <translation>服务器拒绝了推流（请检查推流码和 URL 中的应用名称）</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/media/tls_relay.py" line="+67"/>
        <source>the server&apos;s name was not found: {host}</source>
        <translation>找不到服务器名称：{host}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>nothing is listening at {address}</source>
        <translation>{address} 上没有服务在监听</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no answer from {address} within {seconds} s</source>
        <translation>{address} 在 {seconds} 秒内没有应答</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>could not reach {address} ({why})</source>
        <translation>无法连到 {address}（{why}）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>could not reach the server ({why})</source>
        <translation>无法连到服务器（{why}）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the server&apos;s TLS certificate is not trusted ({why}): the stream key was not sent (check the server URL; a private server&apos;s certificate can be trusted with SSL_CERT_FILE)</source>
        <translation>服务器的 TLS 证书不受信任（{why}）：推流码没有发送（请检查服务器 URL；私有服务器的证书可以通过 SSL_CERT_FILE 设为受信任）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the server at {address} did not answer the TLS handshake within {seconds} s</source>
        <translation>{address} 的服务器在 {seconds} 秒内没有应答 TLS 握手</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the TLS handshake failed: {detail}</source>
        <translation>TLS 握手失败：{detail}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the TLS relay of this program ended ({how}), which cut the connection to the server</source>
        <translation>本程序的 TLS 中继已结束（{how}），与服务器的连接因此中断</translation>
    </message>
</context>
<context>
    <name>OnAirCheck</name>
    <message>
        <location filename="../src/anchordesk/ui/on_air_check.py" line="+33"/>
        <source>on this show&apos;s list of banned words</source>
        <translation>在本节目的禁用词列表中</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>an absolute claim, banned by China&apos;s Advertising Law (art. 9)</source>
        <translation>绝对化用语，《广告法》第九条禁止</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>a superlative or efficacy claim that Japan&apos;s Premiums and Representations Act or PMD Act forbid without proof</source>
        <translation>最高级或功效宣称，日本《景品表示法》或《药机法》禁止无依据使用</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>an absolute or unproven claim that platforms and the FTC forbid</source>
        <translation>绝对化或无依据的宣称，平台和美国 FTC 均禁止</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>“%1”</source>
        <translation>“%1”</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>“%1” (the term “%2”)</source>
        <translation>“%1”（用语“%2”）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Show title</source>
        <translation>节目标题</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Ticker line %1</source>
        <translation>滚动字幕第 %1 行</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Product “%1”, title</source>
        <translation>商品“%1”，标题</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Product “%1”, talking point %2</source>
        <translation>商品“%1”，卖点 %2</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Segment %1 “%2”, title</source>
        <translation>环节 %1“%2”，标题</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Segment %1 “%2”, script</source>
        <translation>环节 %1“%2”，台词</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1: %2 — %3</source>
        <translation>%1：%2 — %3</translation>
    </message>
    <message>
        <location line="+67"/>
        <source>Put this product on screen?</source>
        <translation>要把这个商品放上画面吗？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>“%1” has words that platforms may punish on air. Put it on screen anyway?</source>
        <translation>“%1”含有平台可能在直播中处罚的用语。仍然放上画面吗？</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Go to this segment?</source>
        <translation>切换到这一段？</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Segment %1 “%2” puts “%3” on screen, and it has words that platforms may punish on air. Go to the segment anyway?</source>
        <translation>第 %1 段“%2”会把“%3”放上画面，而它含有直播中可能被平台处罚的用语。仍要切换到这一段吗？</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>%1 — %2</source>
        <translation>%1 — %2</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Flagged terms: %1</source>
        <translation>标记的用语：%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Pin this comment?</source>
        <translation>要置顶这条评论吗？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1&apos;s comment “%2” has words that platforms may punish on air. Pin it anyway?</source>
        <translation>%1 的评论“%2”含有平台可能在直播中处罚的用语。仍然置顶吗？</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Words to avoid on air</source>
        <translation>直播中应避免的用语</translation>
    </message>
    <message>
        <source>“%1” has %2 word(s) that platforms may punish on air. Edit the show, or avoid them when speaking:</source>
        <translation type="vanished">“%1”有 %2 处平台可能在直播中处罚的用语。请修改节目，或在讲解时避开：</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>&amp;Put it on air</source>
        <translation>仍然上播(&amp;P)</translation>
    </message>
</context>
<context>
    <name>OnAirWords</name>
    <message numerus="yes">
        <location line="-125"/>
        <source>“%1” has %Ln word(s) that platforms may punish on air. Edit the show, or avoid them when speaking:</source>
        <translation>
            <numerusform>“%1”有 %Ln 处平台可能在直播中处罚的用语。请修改节目，或在讲解时避开：</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>OrderModel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/orders.py" line="+45"/>
        <source>%1 (simulated)</source>
        <translation>%1（模拟）</translation>
    </message>
</context>
<context>
    <name>OrdersPanel</name>
    <message>
        <location line="+96"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GMV</source>
        <translation>成交额</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Orders/min</source>
        <translation>订单/分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <location line="+4"/>
        <source>Orders</source>
        <translation>订单</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>Units sold per product</source>
        <translation>各商品销量</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gross merchandise value</source>
        <translation>成交总额</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Orders per minute</source>
        <translation>每分钟订单数</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Rejected, not counted: %1 (listed in the report)</source>
        <translation>已拒收，未计入：%1（见报告）</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Simulated audience</source>
        <translation>模拟观众</translation>
    </message>
</context>
<context>
    <name>Platforms</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/destinations_page.py" line="-446"/>
        <source>Custom RTMP / RTMPS</source>
        <translation>自定义 RTMP / RTMPS</translation>
    </message>
</context>
<context>
    <name>ProductPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/products.py" line="+169"/>
        <location line="+1"/>
        <source>Take the product off screen</source>
        <translation>撤下画面上的商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Flash deal</source>
        <translation>秒杀</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Price</source>
        <translation>价格(&amp;P)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Se&amp;conds</source>
        <translation>秒数(&amp;C)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stoc&amp;k</source>
        <translation>库存(&amp;K)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal price</source>
        <translation>秒杀价</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal length in seconds</source>
        <translation>秒杀时长（秒）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal stock</source>
        <translation>秒杀库存</translation>
    </message>
    <message>
        <location line="+198"/>
        <source>sold out</source>
        <translation>已售罄</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 left</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 sold</source>
        <translation>已售 %1</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Put %1 on screen</source>
        <translation>把 %1 放到画面上</translation>
    </message>
    <message numerus="yes">
        <location line="+101"/>
        <source>%1 · %2 left · %3 of %Ln unit(s) left</source>
        <translation>
            <numerusform>%1 · 剩余 %2 · 剩 %3/%Ln 件</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+87"/>
        <source>Live: %1 left · %2 of %Ln unit(s) left</source>
        <translation>
            <numerusform>进行中：还剩 %1 · 库存 %2/%Ln 件</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>Deal sold out: %Ln of its unit(s) sold</source>
        <translation>
            <numerusform>秒杀已抢光：售出 %Ln 件</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 · %2 left · %3 of %4 units left</source>
        <translation type="vanished">%1 · 剩余 %2 · 剩 %3/%4 件</translation>
    </message>
    <message>
        <source>%1: %2 · %3 left · %4 of %5 units left</source>
        <translation type="vanished">%1：%2 · 剩余 %3 · 剩 %4/%5 件</translation>
    </message>
    <message>
        <location line="-80"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop the deal on %1</source>
        <translation>停止 %1 的秒杀</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>Stop the deal</source>
        <translation>停止秒杀</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Start the deal</source>
        <translation>开始秒杀</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+23"/>
        <source>Put a product on screen to start a deal.</source>
        <translation>先把商品放到画面上，才能开始秒杀。</translation>
    </message>
    <message>
        <source>Live: %1 left · %2 of %3 units left</source>
        <translation type="vanished">进行中：还剩 %1 · 库存 %2/%3 件</translation>
    </message>
    <message>
        <source>Deal sold out: %1 of its units sold</source>
        <translation type="vanished">秒杀已抢光：售出 %1 件</translation>
    </message>
    <message>
        <location line="-13"/>
        <source>Ended</source>
        <translation>已结束</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Scheduled</source>
        <translation>待开始</translation>
    </message>
</context>
<context>
    <name>ProductsPage</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/products_page.py" line="+131"/>
        <source>Product %1</source>
        <translation>商品 %1</translation>
    </message>
    <message>
        <location line="+73"/>
        <source>No image</source>
        <translation>没有图片</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Image not found</source>
        <translation>找不到图片</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Product image</source>
        <translation>商品图片</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.webp *.bmp)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>SKU</source>
        <translation>货号</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Price</source>
        <translation>价格</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stock</source>
        <translation>库存</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Image</source>
        <translation>图片</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Talking points</source>
        <translation>卖点</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Add product</source>
        <translation>添加商品(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Remove product</source>
        <translation>删除商品(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Import CSV…</source>
        <translation>导入 CSV(&amp;I)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choose i&amp;mage…</source>
        <translation>选择图片(&amp;M)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Talking &amp;points (one per line):</source>
        <translation>卖点（每行一条）(&amp;P)：</translation>
    </message>
</context>
<context>
    <name>PromptRules</name>
    <message>
        <location filename="../src/anchordesk/ui/prompt_rules.py" line="+25"/>
        <source>Viewers fell by more than %1% in %2 s</source>
        <translation>%2 秒内在线人数下降超过 %1%</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>A deal ends within %1 s with more than %2% of its units left</source>
        <translation>秒杀 %1 秒内结束且剩余超过 %2% 的件数</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The product on screen sold out</source>
        <translation>展示中的商品已售罄</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A question has waited %1 s unanswered</source>
        <translation>提问已等待 %1 秒未回答</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The product on screen will sell out before its segment ends</source>
        <translation>展示中的商品将在本环节结束前售罄</translation>
    </message>
</context>
<context>
    <name>PromptsPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/prompts_page.py" line="+36"/>
        <source>Prompts</source>
        <translation>提示</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>The data board prompts the host and the operator when:</source>
        <translation>数据看板在以下情况提示主播和场控：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Each situation is prompted once, on the board, over the picture and on the teleprompter, and kept in the session&apos;s report.</source>
        <translation>每种情况只提示一次：显示在看板上、画面上方和提词器上，并记入场次报告。</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/file_dialogs.py" line="-205"/>
        <source>&amp;Look in:</source>
        <translation>查找范围(&amp;L)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Files of &amp;type:</source>
        <translation>文件类型(&amp;T)：</translation>
    </message>
</context>
<context>
    <name>Recording</name>
    <message>
        <location filename="../src/anchordesk/media/recording.py" line="+522"/>
        <source>cannot finish the recording: writing {path} did not end within {seconds} s (a pipe nobody reads, or a stuck disk)</source>
        <extracomment>The files :func:`open_new_file` made in this process (so never a file of the user&apos;s).</extracomment>
        <translation>无法完成录制：写入 {path} 未在 {seconds} 秒内结束（可能是没有程序读取的管道，或磁盘卡住了）</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>the recording stopped at {time} ({size} kept, it plays up to there)</source>
        <translation>录制停在 {time}（已保存 {size}，可播放到此处）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the recording stopped at {time} ({size} sent, none of it kept here)</source>
        <translation>录制停在 {time}（已发送 {size}，本机未保存任何内容）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the recording was deleted at {time} and could not be written again ({size} lost)</source>
        <translation>录像在 {time} 被删除，且无法重新写入（丢失 {size}）</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{cause}: the recording stopped before it began</source>
        <translation>{cause}：录制尚未开始就停止了</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{path}: {error}</source>
        <translation>{path}：{error}</translation>
    </message>
    <message>
        <location line="+414"/>
        <source>cannot create the recording</source>
        <translation>无法创建录制文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no program read the pipe {path} during the run: nothing was recorded</source>
        <translation>运行期间没有程序读取管道 {path}：什么也没有录下</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>cannot create the next file of the recording</source>
        <translation>无法创建录制的下一个文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cannot open the recording</source>
        <translation>无法打开录制文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cannot write the recording</source>
        <translation>无法写入录制文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{cause}: {stopped}</source>
        <translation>{cause}：{stopped}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{stopped}: {cause}</source>
        <translation>{stopped}：{cause}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>nothing could be written to {path} for {seconds} s (a pipe nobody reads, or a stuck disk)</source>
        <translation>已有 {seconds} 秒无法向 {path} 写入任何内容（可能是没有程序读取的管道，或磁盘卡住了）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>cannot finish the recording: nothing could be written to {path} for {seconds} s (a pipe nobody reads, or a stuck disk)</source>
        <translation>无法完成录制：已有 {seconds} 秒无法向 {path} 写入任何内容（可能是没有程序读取的管道，或磁盘卡住了）</translation>
    </message>
</context>
<context>
    <name>RecordingIndicator</name>
    <message>
        <location filename="../src/anchordesk/ui/recording_parts.py" line="+76"/>
        <source>REC paused: its disk is full</source>
        <translation>录制暂停：磁盘已满</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>● REC %1</source>
        <translation>● 录制中 %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 free</source>
        <translation>可用 %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>part missing</source>
        <translation>有缺失片段</translation>
    </message>
</context>
<context>
    <name>RecordingQuestion</name>
    <message>
        <location line="-52"/>
        <source>Record rehearsals and shows?</source>
        <translation>录制彩排和节目吗？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Keep a local recording of each rehearsal and show?</source>
        <translation>是否在本机保存每次彩排和节目的录像？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Recordings go to %1 and take about %2 an hour at these settings. You can change this later with Record (%3) or in Settings.</source>
        <translation>录像保存在 %1，按当前设置每小时约占 %2。之后可以用“录制”（%3）或在“设置”中更改。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>&amp;Record</source>
        <translation>录制(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Don&apos;t record</source>
        <translation>不录制(&amp;D)</translation>
    </message>
</context>
<context>
    <name>RehearsalReportDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/report_dialog.py" line="+37"/>
        <source>Rehearsal report</source>
        <translation>彩排报告</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Show report</source>
        <translation>直播报告</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Segment times</source>
        <translation>各环节用时</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Segment</source>
        <translation>环节</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Plan</source>
        <translation>计划</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Actual</source>
        <translation>实际</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Difference</source>
        <translation>差值</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Session totals</source>
        <translation>场次总计</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>&amp;Open the full report</source>
        <translation>打开完整报告(&amp;O)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Rehearse again</source>
        <translation>再次彩排(&amp;R)</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>not reached</source>
        <translation>未进行</translation>
    </message>
    <message>
        <source>Open the full report</source>
        <translation type="vanished">打开完整报告</translation>
    </message>
    <message>
        <source>Rehearse again</source>
        <translation type="vanished">再次彩排</translation>
    </message>
</context>
<context>
    <name>RemoteControl</name>
    <message>
        <location filename="../src/anchordesk/ui/remote.py" line="+54"/>
        <source>The remote control is off: another program already uses port %1. Choose another port in Settings → Remote control.</source>
        <translation>远程控制未开启：另一个程序已在使用端口 %1。请在“设置 → 远程控制”中选择其他端口。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The remote control is off: this computer does not allow it to use port %1. Choose another port in Settings → Remote control.</source>
        <translation>远程控制未开启：本机不允许它使用端口 %1。请在“设置 → 远程控制”中选择其他端口。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The remote control is off: it cannot listen on port %1 (%2).</source>
        <translation>远程控制未开启：无法在端口 %1 上监听（%2）。</translation>
    </message>
    <message>
        <location line="+77"/>
        <source>The remote control runs only in the control room window.</source>
        <translation>远程控制只在控制室窗口中运行。</translation>
    </message>
</context>
<context>
    <name>RemotePage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/remote_page.py" line="+131"/>
        <source>Remote control</source>
        <translation>远程控制</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Takes effect when the settings are saved.</source>
        <translation>保存设置后生效。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Listening at %1</source>
        <translation>正在监听 %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Off: nothing listens.</source>
        <translation>已关闭：不监听任何连接。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Let a phone, a stream deck or a script run the show</source>
        <translation>允许手机、控制台（Stream Deck）或脚本控制直播</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Port:</source>
        <translation>端口：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Allow other devices on this network</source>
        <translation>允许本网络中的其他设备连接</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Token:</source>
        <translation>令牌：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remote control token</source>
        <translation>远程控制令牌</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New token</source>
        <translation>新令牌</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Make a new token: phones and scripts with the old one are refused</source>
        <translation>生成新令牌：使用旧令牌的手机和脚本将被拒绝</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No keyring on this computer: this token is for this run only; AnchorDesk makes a new one the next time it starts.</source>
        <translation>此电脑没有密钥环：该令牌仅在本次运行中有效，AnchorDesk 下次启动时会生成新的令牌。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Web remote:</source>
        <translation>网页遥控：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy address with token</source>
        <translation>复制带令牌的地址</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scan with the phone&apos;s camera to open the web remote</source>
        <translation>用手机相机扫码打开网页遥控</translation>
    </message>
</context>
<context>
    <name>RunSheetPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/run_sheet.py" line="+71"/>
        <source>Segment</source>
        <translation>环节</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Plan</source>
        <translation>计划</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Elapsed</source>
        <translation>已用时</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>◀ Previous</source>
        <translation>◀ 上一个</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next ▶</source>
        <translation>下一个 ▶</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Jump to selected</source>
        <translation>跳到选中环节</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Previous segment</source>
        <translation>上一个环节</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next segment</source>
        <translation>下一个环节</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Jump to the selected segment</source>
        <translation>跳转到选中的环节</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run sheet</source>
        <translation>流程单</translation>
    </message>
</context>
<context>
    <name>RundownPage</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/rundown_page.py" line="+178"/>
        <source>Segment %1</source>
        <translation>环节 %1</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Planned: %1</source>
        <translation>计划时长：%1</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Segment</source>
        <translation>环节</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seconds</source>
        <translation>秒数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal price</source>
        <translation>秒杀价</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal seconds</source>
        <translation>秒杀时长</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal stock</source>
        <translation>秒杀库存</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Script</source>
        <translation>台词</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Run sheet</source>
        <translation>流程单</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Add segment</source>
        <translation>添加环节(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Remove segment</source>
        <translation>删除环节(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move &amp;up</source>
        <translation>上移(&amp;U)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move &amp;down</source>
        <translation>下移(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Teleprompter &amp;script:</source>
        <translation>提词器台词(&amp;S)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Crew &amp;notes (not on air):</source>
        <translation>工作人员备注（不播出）(&amp;N)：</translation>
    </message>
</context>
<context>
    <name>SecretLineEdit</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/secret_field.py" line="+51"/>
        <source>Show or hide %1</source>
        <translation>显示或隐藏%1</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Hide the text</source>
        <translation>隐藏内容</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Show the text</source>
        <translation>显示内容</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <location filename="../src/anchordesk/live/settings.py" line="+756"/>
        <source>{field} is {value}, not a whole number; {default} taken</source>
        <extracomment>Where :func:`feed_url_secrets` finds a secret that is no named parameter: the user info, and a port that is no number (which never moves to the keyring as the feed&apos;s token).</extracomment>
        <translation>{field} 为 {value}，不是整数；已采用 {default}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{field} is {value}, outside {low} to {high}; {kept} taken</source>
        <translation>{field} 为 {value}，超出 {low} 至 {high}；已采用 {kept}</translation>
    </message>
    <message>
        <source>{key} is not a list; ignored</source>
        <translation type="vanished">{key} 不是列表，已忽略</translation>
    </message>
    <message>
        <location line="+74"/>
        <source>{key} is {value}, not an object; its defaults taken</source>
        <translation>{key} 为 {value}，不是对象；已使用其默认值</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>{key} is not a list; ignored, and kept in the file as it is</source>
        <translation>{key} 不是列表，已忽略，并按原样保留在文件中</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>{field} is {value}, not true or false; {default} taken</source>
        <translation>{field} 的值是 {value}，不是 true 或 false；已采用 {default}</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{field} is {value}, not a text; &apos;{default}&apos; taken</source>
        <translation>{field} 为 {value}，不是文本；已采用 &apos;{default}&apos;</translation>
    </message>
    <message>
        <location line="+129"/>
        <source>language is {value}, not one of {choices}; system taken</source>
        <translation>language 为 {value}，不是 {choices} 之一；已采用系统语言</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>destinations[{index}] is not a destination; skipped</source>
        <translation>destinations[{index}] 不是一个推流目标，已跳过</translation>
    </message>
    <message>
        <location line="-54"/>
        <source>destinations[{index}] has the id of another destination (&apos;{id}&apos;); given a new one: type its stream key again in Settings</source>
        <translation>destinations[{index}] 与另一个推流目标的 id 相同（&apos;{id}&apos;）；已为它分配新的 id：请在“设置”中重新输入它的推流密钥</translation>
    </message>
    <message>
        <location line="+96"/>
        <source>destination &apos;{name}&apos; has what looks like a stream key in its server URL; move the key to the stream key field in Settings</source>
        <translation>推流目标“{name}”的服务器地址里似乎含有推流密钥；请把密钥移到“设置”的推流密钥一栏</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>encoder canvas &apos;{canvas}&apos; is not WIDTHxHEIGHT; using 1280x720</source>
        <translation>编码画布“{canvas}”不是“宽x高”格式；改用 1280x720</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>feeds[{index}] has no known kind; skipped</source>
        <translation>feeds[{index}] 没有可识别的类型，已跳过</translation>
    </message>
    <message>
        <location line="-145"/>
        <source>feeds[{index}] has the id of another feed (&apos;{id}&apos;); given a new one, with its own keyring entry: check its token in Settings, Feeds</source>
        <translation>feeds[{index}] 与另一个数据源的 id 相同（&apos;{id}&apos;）；已为它分配新的 id 和独立的钥匙串条目：请在“设置 → 数据源”中检查它的令牌</translation>
    </message>
    <message>
        <location line="-26"/>
        <source>{count} more problems in the settings file, not listed</source>
        <translation>设置文件中还有 {count} 个问题，未列出</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>destinations[{index}] and {count} more have the id of another destination (&apos;{id}&apos;); each given a new one: type their stream keys again in Settings</source>
        <translation>destinations[{index}] 及另外 {count} 项与另一个推流目标的 id 相同（&apos;{id}&apos;）；已为每项分配新的 id：请在“设置”中重新输入它们的推流密钥</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>feeds[{index}] and {count} more have the id of another feed (&apos;{id}&apos;); each given a new one, with its own keyring entry: check their tokens in Settings, Feeds</source>
        <translation>feeds[{index}] 及另外 {count} 项与另一个数据源的 id 相同（&apos;{id}&apos;）；已为每项分配新的 id 和独立的钥匙串条目：请在“设置 → 数据源”中检查它们的令牌</translation>
    </message>
    <message>
        <location line="+183"/>
        <source>feed {kind} ({url}) is not used: {problem}; correct its URL in Settings, Feeds</source>
        <translation>数据源 {kind}（{url}）未使用：{problem}；请在“设置 → 数据源”中更正其地址</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>recordings_dir is {value}, not a folder name; recording to the default folder</source>
        <translation>recordings_dir 为 {value}，不是文件夹名；录制到默认文件夹</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>the recordings folder &apos;{path}&apos; is not a folder name (it holds a NUL character); recording to the default folder</source>
        <translation>录制文件夹 &apos;{path}&apos; 不是有效的文件夹名（含有 NUL 字符）；改为录制到默认文件夹</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>feed {kind} ({url}) has a token or a password in its URL; put the token in the Token field of Settings, Feeds</source>
        <translation>数据源 {kind}（{url}）的地址里含有令牌或密码；请把令牌填到“设置 → 数据源”的令牌一栏</translation>
    </message>
    <message>
        <location line="+134"/>
        <source>{path} is not a regular file</source>
        <translation>{path} 不是普通文件</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>cannot read {path}: {reason}</source>
        <translation>无法读取 {path}：{reason}</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>{path} is not valid JSON; it is kept as {backup}</source>
        <translation>{path} 不是有效的 JSON；已保留为 {backup}</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>cannot rewrite {path}: {reason}</source>
        <translation>无法重写 {path}：{reason}</translation>
    </message>
    <message>
        <location line="+63"/>
        <source>feed {kind} ({url}) has a token in its URL that cannot be kept or sent: {reason}; type the token in the Token field of Settings, Feeds</source>
        <translation>数据源 {kind}（{url}）的地址里含有无法保存或发送的令牌：{reason}；请在“设置 → 数据源”的令牌一栏中输入令牌</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>feed {kind} had a token in its URL; it was moved to the system keyring (the feed&apos;s Token field) and the URL saved without it: {url}</source>
        <translation>数据源 {kind} 的地址里含有令牌；已移入系统钥匙串（该数据源的令牌一栏），地址已去掉令牌后保存：{url}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/dialog.py" line="+255"/>
        <source>The settings could not be saved: %1</source>
        <translation>无法保存设置：%1</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
</context>
<context>
    <name>ShowEditor</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/editor.py" line="+478"/>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run sheet</source>
        <translation>流程单</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Show</source>
        <translation>节目</translation>
    </message>
    <message>
        <location line="-239"/>
        <location line="+81"/>
        <source>Checking the show…</source>
        <translation>正在检查节目…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Not checked: a picture&apos;s folder does not answer.</source>
        <translation>未检查：图片所在的文件夹没有响应。</translation>
    </message>
    <message numerus="yes">
        <location line="+60"/>
        <source>Nothing was imported from %1: fix row(s) %2 and import again.</source>
        <translation>
            <numerusform>未从 %1 导入任何内容：请修改第 %2 行后重新导入。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>The show still has %Ln error(s). Save it anyway, to finish later?</source>
        <translation>
            <numerusform>节目还有 %Ln 个错误。仍然保存，稍后再改吗？</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>%Ln product(s) imported from %1, with these warnings:</source>
        <translation>
            <numerusform>已从 %1 导入 %Ln 个商品，有以下警告：</numerusform>
        </translation>
    </message>
    <message>
        <location line="+6"/>
        <source>No problems found.</source>
        <translation>没有发现问题。</translation>
    </message>
    <message>
        <source>%1 errors, %2 warnings, each shown next to its field</source>
        <translation type="vanished">%1 个错误，%2 个警告（各自显示在对应字段旁）</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/files.py" line="+61"/>
        <source>error: %1</source>
        <translation>错误：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>warning: %1</source>
        <translation>警告：%1</translation>
    </message>
    <message>
        <location line="+109"/>
        <location line="+353"/>
        <source>Reading %1…</source>
        <translation>正在读取 %1…</translation>
    </message>
    <message>
        <location line="-319"/>
        <location line="+20"/>
        <source>Open show</source>
        <translation>打开节目</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show files (*.json);;All files (*)</source>
        <translation>节目文件 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Save show as</source>
        <translation>节目另存为</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show files (*.json)</source>
        <translation>节目文件 (*.json)</translation>
    </message>
    <message>
        <location line="+54"/>
        <location line="+16"/>
        <location line="+59"/>
        <location line="+73"/>
        <location line="+28"/>
        <source>Save show</source>
        <translation>保存节目</translation>
    </message>
    <message>
        <location line="-175"/>
        <source>The built-in sample show cannot be changed. Use Save as… to keep a copy.</source>
        <translation>内置示例节目不能修改。请用“另存为…”保存一份副本。</translation>
    </message>
    <message>
        <source>The show still has %1 errors. Save it anyway, to finish later?</source>
        <translation type="vanished">节目还有 %1 个错误。仍然保存，稍后再改吗？</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/editor.py" line="-76"/>
        <location filename="../src/anchordesk/ui/editor/files.py" line="+67"/>
        <source>Not checked: the pictures&apos; folder %1 does not answer.</source>
        <translation>未检查：图片文件夹 %1 没有响应。</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/files.py" line="+8"/>
        <source>The show was saved to %1 as typed. Its pictures, in %2, were not checked: that folder does not answer (a network disk whose server went away?).</source>
        <translation>节目已按输入内容保存到 %1。%2 中的图片未检查：该文件夹没有响应（网络磁盘的服务器断开了？）。</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>%1 answered at last, but the show could not be saved there: %2</source>
        <translation>%1 终于响应了，但节目无法保存到那里：%2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 answered at last: the show is saved there as it was when you saved it; changes made since then are not saved yet.</source>
        <translation>%1 终于响应了：节目已按保存时的内容保存在那里；此后的修改尚未保存。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>%1 does not answer (a network disk whose server went away?): the show was not saved. Save it on another disk with Save as…</source>
        <translation>%1 没有响应（网络磁盘的服务器断开了？）：节目没有保存。请用“另存为…”保存到其他磁盘。</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+5"/>
        <source>The show could not be saved: %1</source>
        <translation>无法保存节目：%1</translation>
    </message>
    <message>
        <location line="+19"/>
        <location line="+59"/>
        <source>Import products from CSV</source>
        <translation>从 CSV 导入商品</translation>
    </message>
    <message>
        <location line="-57"/>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>CSV 文件 (*.csv);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Nothing was imported from %1: fix rows %2 and import again.</source>
        <translation type="vanished">未从 %1 导入任何内容：请修改第 %2 行后重新导入。</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>Nothing was imported from %1: fix the file and import again.</source>
        <translation>未从 %1 导入任何内容：请修改文件后重新导入。</translation>
    </message>
    <message>
        <source>%1 products imported from %2, with these warnings:</source>
        <translation type="vanished">已从 %2 导入 %1 个商品，有以下警告：</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/editor.py" line="+98"/>
        <source>New show[*] — Show editor</source>
        <translation>新节目[*] — 节目编辑器</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1[*] (built-in sample, read-only) — Show editor</source>
        <translation>%1[*]（内置示例，只读）— 节目编辑器</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1[*] (read-only) — %2 — Show editor</source>
        <translation>%1[*]（只读）— %2 — 节目编辑器</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1[*] — %2 — Show editor</source>
        <translation>%1[*] — %2 — 节目编辑器</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>This is the built-in sample show: it is read-only. Use Save as… to keep your own copy, then edit that.</source>
        <translation>这是内置示例节目，只读。请用“另存为…”保存自己的副本，再编辑副本。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>This file cannot be written. Use Save as… to keep your changes.</source>
        <translation>此文件无法写入。请用“另存为…”保存您的修改。</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Save as…</source>
        <translation>另存为…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next problem (F8)</source>
        <translation>下一个问题 (F8)</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/files.py" line="+55"/>
        <source>No recent shows</source>
        <translation>没有最近打开的节目</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The show has changes that are not saved. Save them?</source>
        <translation>节目有未保存的更改。要保存吗？</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/editor.py" line="-73"/>
        <source>%1, %2, each shown next to its field</source>
        <translation>%1，%2（各自显示在对应字段旁）</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%Ln error(s)</source>
        <translation>
            <numerusform>%Ln 个错误</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%Ln warning(s)</source>
        <translation>
            <numerusform>%Ln 个警告</numerusform>
        </translation>
    </message>
    <message>
        <location line="+57"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open &amp;recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;New show</source>
        <translation>新建节目(&amp;N)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Save &amp;as…</source>
        <translation>另存为(&amp;A)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Import products from CSV…</source>
        <translation>从 CSV 导入商品(&amp;I)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next &amp;problem</source>
        <translation>下一个问题(&amp;P)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/draft.py" line="+124"/>
        <source>banned word “%1” (rule: %2)</source>
        <translation>违禁词“%1”（规则：%2）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>absolute term “%1” (rule: %2)</source>
        <translation>极限词“%1”（规则：%2）</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>{file} is not {encoding} text (byte at offset {offset})</source>
        <translation>{file} 不是 {encoding} 文本（偏移 {offset} 处的字节）</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{file}: invalid JSON at line {line}, column {column}: {reason}</source>
        <translation>{file}：第 {line} 行第 {column} 列的 JSON 无效：{reason}</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>{file}: a show file holds one JSON object {{…}}</source>
        <translation>{file}：节目文件应包含一个 JSON 对象 {{…}}</translation>
    </message>
</context>
<context>
    <name>ShowPage</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/show_page.py" line="+243"/>
        <source>Logo</source>
        <translation>标志</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.webp *.bmp)</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>&amp;Title:</source>
        <translation>标题(&amp;T)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Currency:</source>
        <translation>货币(&amp;C)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Accent colour:</source>
        <translation>主题色(&amp;A)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Loo&amp;k:</source>
        <translation>外观(&amp;K)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>L&amp;ogo:</source>
        <translation>标志(&amp;O)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Banned words (one per line):</source>
        <translation>违禁词（每行一个）(&amp;B)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>T&amp;icker announcements (one per line):</source>
        <translation>滚动公告（每行一条）(&amp;I)：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>C&amp;hoose…</source>
        <translation>选择(&amp;H)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choos&amp;e…</source>
        <translation>选择(&amp;E)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
</context>
<context>
    <name>ShowProblems</name>
    <message>
        <location filename="../src/anchordesk/show/validate.py" line="+131"/>
        <location filename="../src/anchordesk/ui/editor/show_page.py" line="+18"/>
        <source>line {line}, column {column}: {message}</source>
        <translation>第 {line} 行第 {column} 列：{message}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{where} ({subject}): {message}</source>
        <translation>{where}（{subject}）：{message}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{where}: {message}</source>
        <translation>{where}：{message}</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>product {sku}, {title}</source>
        <translation>商品 {sku}，{title}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>product {name}</source>
        <translation>商品 {name}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>product</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>segment {number}, {title}</source>
        <translation>环节 {number}，{title}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>segment {number}</source>
        <translation>环节 {number}</translation>
    </message>
    <message>
        <source>{value} is not an ISO 4217 currency: its prices are shown as {code} 1.00 with two decimals; check the code</source>
        <translation type="vanished">{value} 不是 ISO 4217 货币：其价格将按 {code} 1.00 显示两位小数；请检查代码</translation>
    </message>
    <message>
        <location line="+80"/>
        <source>the {what} {written} is {written_length} characters long as written and {length} once normalised (Unicode NFKC, as it is kept and compared); at most {limit}</source>
        <translation>{what} {written} 按原文长 {written_length} 个字符，规范化（Unicode NFKC，保存和比较都用此形式）后长 {length} 个字符；最多 {limit} 个</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>the {what} is {length} characters long; at most {limit}</source>
        <translation>{what}长 {length} 个字符；最多 {limit} 个</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>the {what} {text} holds the character {control} at character {position}: on air it would turn the text around or break its line</source>
        <translation>{what} {text} 的第 {position} 个字符是 {control}：直播画面上会使文字反向或断行</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>the {what} {text} holds the control character {control} at character {position}: the picture cannot show it</source>
        <translation>{what} {text} 的第 {position} 个字符是控制字符 {control}：画面无法显示</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>title</source>
        <translation>标题</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>sku</source>
        <translation>货号</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>price</source>
        <translation>价格</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>deal price</source>
        <translation>秒杀价</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>deal seconds</source>
        <translation>秒杀时长</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>deal stock</source>
        <translation>秒杀库存</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>logo path</source>
        <translation>标志路径</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>image path</source>
        <translation>图片路径</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>banned word</source>
        <translation>违禁词</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>announcement</source>
        <translation>滚动公告</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>script</source>
        <translation>台词</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>talking point</source>
        <translation>卖点</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>must be above zero (got {value})</source>
        <translation>必须大于零（现为 {value}）</translation>
    </message>
    <message>
        <location line="-27"/>
        <source>{seconds} s is longer than a day</source>
        <translation>{seconds} 秒超过一天</translation>
    </message>
    <message>
        <location line="+91"/>
        <location filename="../src/anchordesk/showfile/files.py" line="+601"/>
        <source>unknown format version {version}: this program reads format {format}</source>
        <translation>未知的格式版本 {version}：本程序读取格式 {format}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the show needs a title</source>
        <translation>节目需要标题</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{value} is not an ISO 4217 code such as CNY, USD or JPY</source>
        <translation>{value} 不是 ISO 4217 货币代码（如 CNY、USD、JPY）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{value} is not a language tag such as zh_CN or en</source>
        <translation>{value} 不是语言标记（如 zh_CN、en）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{value} is no language this program knows: prices and times are written as in English, and the rehearsal audience speaks English</source>
        <translation>本程序不认识语言 {value}：价格和时间将按英语格式书写，彩排观众也说英语</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{value} is not a colour such as #ff3355</source>
        <translation>{value} 不是颜色（如 #ff3355）</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{count} banned words; at most {limit}</source>
        <translation>共 {count} 个违禁词；最多 {limit} 个</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>empty word (ignored)</source>
        <translation>空词（已忽略）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{count} announcements; at most {limit}</source>
        <translation>共 {count} 条公告；最多 {limit} 条</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>empty announcement (ignored)</source>
        <translation>空公告（已忽略）</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>the rundown needs at least one segment</source>
        <translation>流程单至少需要一个环节</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the segment needs a title</source>
        <translation>环节需要标题</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the notes are {length} characters long; at most {limit}</source>
        <translation>备注长 {length} 个字符；最多 {limit} 个</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>unknown sku {sku}: no product has it</source>
        <translation>未知货号 {sku}：没有商品使用它</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{value} is not one of: {allowed}</source>
        <translation>{value} 不在可选值中：{allowed}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{count} products; a show holds at most {limit}</source>
        <translation>{count} 个商品；一场直播最多 {limit} 个</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{count} segments; a show holds at most {limit}</source>
        <translation>{count} 个环节；一场直播最多 {limit} 个</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>the sku is empty</source>
        <translation>货号为空</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the sku {sku} has spaces at its ends</source>
        <translation>货号 {sku} 首尾有空格</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the sku {sku} holds the invisible character {char} at character {index}: orders name their product by the visible characters only</source>
        <translation>SKU {sku} 的第 {index} 个字符是不可见字符 {char}：订单只按可见字符匹配商品</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>duplicate sku {sku} (also in {other})</source>
        <translation>货号 {sku} 重复（{other} 也有）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the product needs a title</source>
        <translation>商品需要标题</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{value} is not an ISO 4217 code such as CNY</source>
        <translation>{value} 不是 ISO 4217 货币代码（如 CNY）</translation>
    </message>
    <message>
        <location line="-332"/>
        <source>stock must not be negative (got {value})</source>
        <translation>库存不能为负数（现为 {value}）</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>stock {value} is out of range: a whole number from 0 to {limit}</source>
        <translation>库存 {value} 超出范围：应为 0 到 {limit} 之间的整数</translation>
    </message>
    <message>
        <location line="+334"/>
        <source>{count} talking points; at most {limit}</source>
        <translation>共 {count} 个卖点；最多 {limit} 个</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>empty talking point</source>
        <translation>空卖点</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>a deal needs the segment&apos;s product: set the segment&apos;s sku</source>
        <translation>秒杀需要本环节的商品：请设置环节的货号</translation>
    </message>
    <message>
        <location line="+68"/>
        <source>deal price {price} is not below the list price {list_price} of {sku}</source>
        <translation>秒杀价 {price} 不低于 {sku} 的原价 {list_price}</translation>
    </message>
    <message>
        <location line="+76"/>
        <source>the {what} {value} is not a number</source>
        <translation>{what} {value} 不是数字</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>the {what} {value} is out of range: a number from 0 to {limit}</source>
        <translation>{what} {value} 超出范围：应为 0 到 {limit} 之间的数</translation>
    </message>
    <message>
        <location line="-150"/>
        <source>the deal ({deal_seconds} s) outlasts its segment ({segment_seconds} s): it keeps counting down during the next segment</source>
        <translation>秒杀（{deal_seconds} 秒）比所在环节（{segment_seconds} 秒）长：下一个环节中仍会继续倒计时</translation>
    </message>
    <message>
        <location line="-387"/>
        <source>deal stock {value} is out of range: a whole number from 1 to {limit}</source>
        <translation>秒杀库存 {value} 超出范围：应为 1 到 {limit} 之间的整数</translation>
    </message>
    <message>
        <location line="+465"/>
        <source>deal stock {deal_stock} is above the stock {stock} of {sku}</source>
        <translation>秒杀库存 {deal_stock} 超过 {sku} 的库存 {stock}</translation>
    </message>
    <message>
        <location line="-63"/>
        <source>the deals on {sku} plan {planned} units in all, more than its stock {stock}</source>
        <translation>{sku} 的各场秒杀共计划 {planned} 件，超过其库存 {stock}</translation>
    </message>
    <message>
        <location line="+105"/>
        <source>{field}: {problem}</source>
        <translation>{field}：{problem}</translation>
    </message>
    <message>
        <source>the {what} is not a finite number</source>
        <translation type="vanished">{what}不是有限的数字</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>the {what} must not be negative (got {value})</source>
        <translation>{what}不能为负数（现为 {value}）</translation>
    </message>
    <message>
        <source>the {what} {value} is out of range: at most {limit}</source>
        <translation type="vanished">{what} {value} 超出范围：最多 {limit}</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>{value} has more decimals than {currency} uses ({allowed})</source>
        <translation>{value} 的小数位多于 {currency} 使用的位数（{allowed} 位）</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/showfile/files.py" line="-521"/>
        <source>a show file</source>
        <translation>节目文件</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>unusable show</source>
        <translation>无法使用的节目</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{problem} (and {count} more problems)</source>
        <translation>{problem}（另有 {count} 个问题）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{file}: {problem}</source>
        <translation>{file}：{problem}</translation>
    </message>
    <message>
        <source>an object</source>
        <translation type="vanished">对象</translation>
    </message>
    <message>
        <source>a list</source>
        <translation type="vanished">列表</translation>
    </message>
    <message>
        <location line="+80"/>
        <source>a text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>a number</source>
        <translation type="vanished">数字</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>expected {what}, found {found}</source>
        <translation>应为{what}，实际为{found}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>a text or null</source>
        <translation>文本或 null</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a whole number</source>
        <translation>整数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a price (a number)</source>
        <translation>价格（数字）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a list of texts</source>
        <translation>文本列表</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a list [...]</source>
        <translation>列表 [...]</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>an object {{...}}</source>
        <translation>对象 {{...}}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a sku (a text) or null</source>
        <translation>货号（文本）或 null</translation>
    </message>
    <message>
        <location line="+69"/>
        <source>{key} is written twice; the last one is used</source>
        <translation>{key} 写了两次；使用最后一个</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>unknown field {key} (ignored); did you mean {hint}?</source>
        <translation>未知字段 {key}（已忽略）；是否想写 {hint}？</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>unknown field {key} (ignored)</source>
        <translation>未知字段 {key}（已忽略）</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>{count} more unknown fields (ignored): {names}{more}</source>
        <translation>另有 {count} 个未知字段（已忽略）：{names}{more}</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>{count} more fields written twice (the last one of each is used): {names}{more}</source>
        <translation>另有 {count} 个字段写了两次（各用最后一个）：{names}{more}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>required field is missing</source>
        <translation>缺少必填字段</translation>
    </message>
    <message>
        <source>{field} {value} is out of range: a whole number from {low} to {high}</source>
        <translation type="vanished">{field} {value} 超出范围：应为 {low} 到 {high} 之间的整数</translation>
    </message>
    <message>
        <source>{value} is not a price</source>
        <translation type="vanished">{value} 不是价格</translation>
    </message>
    <message>
        <location line="+96"/>
        <source>the {field} {value} has too many decimals</source>
        <translation>{field} {value} 的小数位太多</translation>
    </message>
    <message>
        <source>the {field} {value} is out of range: a number from 0 to {limit}</source>
        <translation type="vanished">{field} {value} 超出范围：应为 0 到 {limit} 之间的数字</translation>
    </message>
    <message>
        <location line="+145"/>
        <source>unknown format version {version}: this program reads format {format} (a newer AnchorDesk may read it)</source>
        <translation>未知的格式版本 {version}：本程序读取格式 {format}（更新版本的 AnchorDesk 也许能读取）</translation>
    </message>
    <message>
        <location line="+67"/>
        <source>not a number: {value}</source>
        <translation>不是数字：{value}</translation>
    </message>
    <message>
        <location line="+93"/>
        <source>not {encoding} text: byte {byte} at offset {offset}; save the file as UTF-8</source>
        <translation>不是 {encoding} 文本：偏移 {offset} 处的字节 {byte}；请把文件存为 UTF-8</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>the file is empty</source>
        <translation>文件是空的</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>invalid JSON: {reason} (this is a product list in CSV: make a show of it with anchordesk show import-csv)</source>
        <translation>JSON 无效：{reason}（这是 CSV 商品清单：请用 anchordesk show import-csv 把它做成节目）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>invalid JSON: {reason}</source>
        <translation>JSON 无效：{reason}</translation>
    </message>
    <message>
        <location line="+15"/>
        <location filename="../src/anchordesk/ui/editor/draft.py" line="-5"/>
        <source>invalid show: the JSON is nested too deeply</source>
        <translation>节目无效：JSON 嵌套过深</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>the text {text} holds a lone surrogate {surrogate} at character {position} (a broken \u escape): it is not Unicode text</source>
        <translation>文本 {text} 的第 {position} 个字符是孤立的代理项 {surrogate}（\u 转义不完整）：不是有效的 Unicode 文本</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>the file is {size} MB; a show file is JSON text of at most {limit} MB</source>
        <translation>文件有 {size} MB；节目文件是不超过 {limit} MB 的 JSON 文本</translation>
    </message>
    <message>
        <location line="+166"/>
        <source>the {field} {value} is written with more than {limit} characters: write it shorter</source>
        <translation>{field} {value} 的写法超过 {limit} 个字符：请写短一些</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/showfile/images.py" line="+40"/>
        <source>a folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a named pipe (FIFO)</source>
        <translation>命名管道（FIFO）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a socket</source>
        <translation>套接字</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not a regular file</source>
        <translation>非普通文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>an image file</source>
        <translation>图片文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>image</source>
        <translation>图片</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>logo</source>
        <translation>标志</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no such file: {path}</source>
        <translation>找不到文件：{path}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>cannot read {path}: {reason}</source>
        <translation>无法读取 {path}：{reason}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{path} is not a regular file</source>
        <translation>{path} 不是普通文件</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{path} is {kind}, not {wanted}</source>
        <translation>{path} 是{kind}，不是{wanted}</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>the {what} {name} is a web address: a show&apos;s pictures are files (save it next to the show file and give its name)</source>
        <translation>{what} {name} 是网址：节目的图片必须是文件（请把它保存到节目文件旁边，再填写文件名）</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>the {what} {name} is outside the show&apos;s folder ({folder}): a copy of the folder given to someone else would lack it</source>
        <translation>{what} {name} 在节目文件夹（{folder}）之外：把文件夹复制给别人时会缺少它</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{name} (looked for {resolved})</source>
        <translation>{name}（查找位置：{resolved}）</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{what} file not found: {where}</source>
        <translation>找不到{what}文件：{where}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{what} path {name} is not a valid path</source>
        <translation>{what}路径 {name} 不是有效路径</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{what} {name} is {size} MB; an image is at most {limit} MB</source>
        <translation>{what} {name} 有 {size} MB；图片最大 {limit} MB</translation>
    </message>
    <message>
        <location line="+67"/>
        <source>{what} {name} is an empty file</source>
        <translation>{what} {name} 是空文件</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{what} {name} is not a PNG, JPEG, WebP or BMP image</source>
        <translation>{what} {name} 不是 PNG、JPEG、WebP 或 BMP 图片</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{what} {name} is not a PNG, JPEG, WebP or BMP image ({suffix})</source>
        <translation>{what} {name} 不是 PNG、JPEG、WebP 或 BMP 图片（{suffix}）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{what} {name} is {width}×{height} pixels; an image has at most {limit} million</source>
        <translation>{what} {name} 为 {width}×{height} 像素；图片最多 {limit} 百万像素</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{what} {name} cannot be decoded: the file is damaged or incomplete</source>
        <translation>{what} {name} 无法解码：文件已损坏或不完整</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{what} file cannot be read: {where}: {reason}</source>
        <translation>无法读取{what}文件：{where}：{reason}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{what} {name} is not a regular file</source>
        <translation>{what} {name} 不是普通文件</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{what} {name} is {kind}, not {wanted}</source>
        <translation>{what} {name} 是{kind}，不是{wanted}</translation>
    </message>
</context>
<context>
    <name>StartRefusedDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/start_refused.py" line="+32"/>
        <source>%1 cannot be opened: it has the problems below. The sample show is running instead. Fix the file in the show editor, or open another show.</source>
        <translation>无法打开 %1：它有以下问题。现在运行的是示例节目。请在节目编辑器中修改文件，或打开另一个节目。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 cannot be opened: it has the problems below. The sample show is running instead. Open another show, or go on with the sample.</source>
        <translation>无法打开 %1：它有以下问题。现在运行的是示例节目。请打开另一个节目，或继续使用示例节目。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Open show</source>
        <translation>打开节目</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>&amp;Edit in the show editor</source>
        <translation>在节目编辑器中修改(&amp;E)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Open another show…</source>
        <translation>打开另一个节目(&amp;O)…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Go on with the &amp;sample</source>
        <translation>继续使用示例节目(&amp;S)</translation>
    </message>
</context>
<context>
    <name>Store</name>
    <message>
        <location filename="../src/anchordesk/store/writer.py" line="+252"/>
        <source>the file was deleted and cannot be written again: {cause}</source>
        <extracomment>Why the writer stopped writing (None while every write lands). The reason in ``fault`` as Words (a window says it in its language). Why the file is gone when it closed (deleted, and could not be written again).</extracomment>
        <translation>文件已被删除，且无法重新写入：{cause}</translation>
    </message>
    <message>
        <location line="+86"/>
        <source>another program holds it locked ({detail})</source>
        <translation>另一个程序锁定了该文件（{detail}）</translation>
    </message>
</context>
<context>
    <name>TablePage</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/table_page.py" line="+46"/>
        <source>…and %1 more (F8 goes to each)</source>
        <translation>…另有 %1 条（按 F8 逐条查看）</translation>
    </message>
</context>
<context>
    <name>TeleprompterPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/teleprompter.py" line="+243"/>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Size</source>
        <translation>字号</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mirror</source>
        <translation>镜像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>From the top</source>
        <translation>从头开始</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scroll speed</source>
        <translation>滚动速度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Text size</source>
        <translation>文字大小</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mirror the text</source>
        <translation>镜像显示文字</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pause scrolling</source>
        <translation>暂停滚动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scroll back to the top</source>
        <translation>滚回开头</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Script</source>
        <translation>台词</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Flash deal %1 · %2 · %3 left · %4</source>
        <translation>秒杀 %1 · %2 · 剩 %3 件 · %4</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Pinned: %1: %2</source>
        <translation>置顶：%1：%2</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Next: %1</source>
        <translation>下一个：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Last segment</source>
        <translation>最后一个环节</translation>
    </message>
</context>
</TS>
